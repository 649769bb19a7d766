"""What learning rate a 135M student needs: LoRA SFT on one relabeled quest shard at several rates, measured
on held-out transitions (not CI).

The shard: a scripted random walk on quest (`--steps` steps) relabeled in full by the expert:quest teacher
(threshold 1.0), rendered as the `local` student sees its prompts. The first 2/3 train, the last 1/3 are
held out. For each learning rate: `--train-steps` optimizer steps of LoRA SFT (r 8, q/k/v/o, batch
`--batch-size`, `--max-length` tokens), then on the held-out lines: the mean loss on the teacher's reply
tokens, and how often the student's most likely next token where the teacher's button begins is that
button's first token ("agreement", teacher-forced).
Writes bench/results/colearn_lr.json.

    .venv/bin/python bench/colearn_lr.py [--lrs 5e-6,1e-4,1e-3] [--train-steps 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._results import report  # noqa: E402


def make_shard(work: Path, steps: int, seed: int) -> list[dict[str, Any]]:
    import random

    from harness.colearn.relabel import PRMSettings, make_prm, make_teacher, read_transitions, score_and_relabel
    from harness.colearn.shards import read_shard, write_shard
    from harness.config import RunConfig
    from harness.log.store import RunReader
    from harness.run import start_run
    from tools.actions import action_tools

    rng = random.Random(seed)
    moves = ["UP", "DOWN", "LEFT", "RIGHT", "A", "B"]
    replies = [{"tool": "press_buttons", "arguments": {"reasoning": "explore",
                                                       "buttons": rng.choices(moves, k=rng.randint(1, 3))}}
               for _ in range(steps)]
    script = work / "walk.jsonl"
    script.write_text("".join(json.dumps(r) + "\n" for r in replies))
    run = work / "run"
    agent = start_run(RunConfig(env="quest", model=f"scripted:{script}", steps=steps, seed=seed), run)
    with agent:
        agent.run(steps)
        tools = [t.spec() for t in action_tools(agent.env.action_tools())]
    with RunReader(run) as reader:
        _, rows = score_and_relabel(reader, read_transitions(reader, 0, steps), make_prm("expert:quest"),
                                    make_teacher("expert:quest"), tools, PRMSettings(threshold=1.0))
        write_shard(work / "shard.jsonl", rows, reader, tools, "expert:quest")
    return read_shard(work / "shard.jsonl")


def evaluate(base: Path, adapter: Path | None, held: list[dict[str, Any]], render: Any, max_length: int,
             ) -> dict[str, float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness.colearn.train import examples

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    data = examples(held, render, tok, max_length)
    losses, agree = [], 0
    with torch.no_grad():
        for ex, row in zip(data, held, strict=True):
            ids = torch.tensor([ex["input_ids"]])
            labels = ids.clone()
            labels[0, [i for i, m in enumerate(ex["completion_mask"]) if not m]] = -100
            out = model(input_ids=ids, labels=labels)
            losses.append(float(out.loss))
            # teacher-forced: is the model's most likely token where the teacher's button starts that button?
            want = json.loads(row["messages"][-1]["content"])["arguments"]["buttons"][0]
            text_ids = ex["input_ids"]
            prefix = tok.decode(text_ids)
            at = prefix.rfind('"buttons":["')
            if at < 0:
                continue
            n_before = len(tok(prefix[: at + len('"buttons":["')], add_special_tokens=False)["input_ids"])
            if n_before >= len(text_ids):
                continue
            guess = tok.decode([int(out.logits[0, n_before - 1].argmax())])
            agree += bool(guess) and want.startswith(guess.strip()) and bool(guess.strip())
    return {"heldout_reply_loss": round(sum(losses) / len(losses), 4), "agreement": round(agree / len(held), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lrs", default="5e-6,1e-4,1e-3")
    ap.add_argument("--steps", type=int, default=96, help="rollout steps relabeled into the shard")
    ap.add_argument("--train-steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--max-length", type=int, default=384)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from harness.colearn.train import TrainSettings, hf_checkpoint, train_lora
    from harness.models import make_model

    base = hf_checkpoint()
    render = make_model("local").render_example
    results: dict[str, Any] = {"train_steps": args.train_steps, "batch_size": args.batch_size,
                               "max_length": args.max_length}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = make_shard(work, args.steps, args.seed)
        cut = len(rows) * 2 // 3
        train_rows, held = rows[:cut], rows[cut:]
        results.update(shard=len(rows), train_lines=len(train_rows), heldout_lines=len(held))
        print(f"shard {len(rows)} lines: {len(train_rows)} train, {len(held)} held out", flush=True)
        t0 = time.monotonic()
        results["base"] = evaluate(base, None, held, render, args.max_length)
        print(f"base: {results['base']} ({time.monotonic() - t0:.0f} s)", flush=True)
        from transformers import AutoTokenizer

        from harness.colearn.train import examples

        data = examples(train_rows, render, AutoTokenizer.from_pretrained(base), args.max_length)
        for lr in [float(x) for x in args.lrs.split(",")]:
            settings = TrainSettings(lr=lr, max_steps=args.train_steps, batch_size=args.batch_size,
                                     max_length=args.max_length, epochs=100)
            r = train_lora(base, data, work / f"adapter-{lr:g}", settings)
            ev = evaluate(base, work / f"adapter-{lr:g}", held, render, args.max_length)
            results[f"lr_{lr:g}"] = {"first_loss": r.first_loss, "last_loss": r.last_loss, "train_s": r.seconds,
                                     **ev}
            print(f"lr {lr:g}: {results[f'lr_{lr:g}']}", flush=True)
    report("colearn_lr", results)


if __name__ == "__main__":
    main()
