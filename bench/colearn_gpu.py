"""GPU training time for one co-learning iteration, on the same shard a CPU iteration trained on (not CI).

The train phase of `harness colearn` is `harness.colearn.train.train_lora`; this bench runs that same function
on a GPU machine. Two halves, because the machine that has the GPU has no llama.cpp and the student's weights
(514 MB in float32) are too big to travel with a command:

    # here: render + tokenize the shard exactly as the loop does (the local student's own render_example),
    # and copy the checkpoint's config and tokenizer (not its weights)
    .venv/bin/python bench/colearn_gpu.py prepare bench/runs/colearn/colearn-s0/colearn/iter-1/shard.jsonl .gpu

    # on the GPU machine: the same architecture and size (SmolLM2-135M's config), randomly initialised;
    # the time of a training step does not depend on the weights' values, the loss does (so it is not reported
    # as a result)
    python3 bench/colearn_gpu.py train .gpu --random-init --steps 16 --batch-size 2 --max-length 384 --lr 1e-3

`train` writes one JSON line per configuration: examples, optimizer steps, tokens, seconds (model load and
training together, as the loop's train phase counts them), the device. `--repeat N` runs it N times in one
process (the first run pays CUDA's start-up).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKENIZER_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                   "chat_template.jinja", "special_tokens_map.json")


def prepare(shard: Path, out: Path, max_length: int | None) -> None:
    from transformers import AutoTokenizer

    from harness.colearn.shards import read_shard
    from harness.colearn.train import TrainSettings, examples, hf_checkpoint
    from harness.models import make_model

    config = shard.parent.parent / "config.json"  # the colearn job's settings, if the shard came from one
    settings = TrainSettings.model_validate(json.loads(config.read_text())["train"]) if config.exists() else None
    max_length = max_length or (settings.max_length if settings else 1024)
    base = hf_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(base)
    data = examples(read_shard(shard), make_model("local").render_example, tokenizer, max_length)
    (out / "model").mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copy2(base / name, out / "model" / name)
    with open(out / "examples.jsonl", "w") as f:
        for row in data:
            f.write(json.dumps(row) + "\n")
    meta = {"shard": str(shard), "examples": len(data), "max_length": max_length,
            "tokens": sum(len(r["input_ids"]) for r in data),
            "completion_tokens": sum(sum(r["completion_mask"]) for r in data)}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta))


def random_checkpoint(model_dir: Path, out: Path, seed: int) -> Path:
    """The config's architecture with random weights, saved next to the tokenizer files."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir), dtype=torch.float32)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(model_dir, out)
    model.save_pretrained(out)
    print(json.dumps({"random_init": str(out), "parameters": sum(p.numel() for p in model.parameters())}))
    return out


def train(work: Path, args: argparse.Namespace) -> None:
    import torch

    from harness.colearn.train import TrainSettings, train_lora

    base = work / "model"
    if args.random_init:
        base = random_checkpoint(base, Path(args.scratch) / "random-init", args.seed)
    elif not (base / "model.safetensors").exists():
        sys.exit(f"error: no weights in {base} (pass --random-init to time the path on random weights)")
    rows = [json.loads(line) for line in (work / "examples.jsonl").read_text().splitlines()]
    cut = [{"input_ids": r["input_ids"][-args.max_length:], "completion_mask": r["completion_mask"][-args.max_length:]}
           for r in rows]
    settings = TrainSettings(epochs=args.epochs, lr=args.lr, max_steps=args.steps, batch_size=args.batch_size,
                             max_length=args.max_length, seed=args.seed,
                             gradient_checkpointing=not args.no_grad_ckpt)
    for i in range(args.repeat):
        t0 = time.monotonic()
        result = train_lora(base, cut, Path(args.scratch) / f"adapter-{i}", settings)
        wall = time.monotonic() - t0
        print(json.dumps({"run": i, "device": result.device,
                          "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                          "examples": result.examples, "steps": result.steps, "batch_size": args.batch_size,
                          "max_length": args.max_length, "epochs": args.epochs, "lr": args.lr,
                          "tokens": sum(len(r["input_ids"]) for r in cut), "train_seconds": result.seconds,
                          "wall_seconds": round(wall, 2), "random_init": args.random_init,
                          "gradient_checkpointing": settings.gradient_checkpointing}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="render + tokenize a shard here; copy the checkpoint's config and tokenizer")
    p.add_argument("shard", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--max-length", type=int, default=None, help="default: the colearn job's own setting")
    t = sub.add_parser("train", help="time train_lora on a prepared folder (CUDA when torch sees a GPU)")
    t.add_argument("work", type=Path)
    t.add_argument("--random-init", action="store_true", help="same architecture, random weights")
    t.add_argument("--steps", type=int, default=16, help="optimizer steps (-1: the epochs decide)")
    t.add_argument("--epochs", type=float, default=100.0)
    t.add_argument("--batch-size", type=int, default=2)
    t.add_argument("--max-length", type=int, default=384)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-grad-ckpt", action="store_true", help="no gradient checkpointing (TRL turns it on)")
    t.add_argument("--repeat", type=int, default=1)
    t.add_argument("--scratch", default="/tmp/colearn-gpu")
    args = ap.parse_args()
    if args.cmd == "prepare":
        prepare(args.shard, args.out, args.max_length)
    else:
        train(args.work, args)


if __name__ == "__main__":
    main()
