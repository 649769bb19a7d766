"""The updater: LoRA SFT of the student on a shard (TRL + PEFT), and the way back into llama.cpp.

For the `local` student (SmolLM2-135M in llama.cpp):

1. `hf_checkpoint()`: the GGUF converted once to a plain Hugging Face checkpoint (transformers reads the
   GGUF, but the model it builds stays marked quantized, so it is rebuilt from its config and the state
   dict copied over), cached in the venv's share/continual-harness/ under a file lock.
2. `examples()`: each shard line rendered exactly as the student will see it at run time (the local back-end's
   own `render_example`: its chat template, tool list and forced reply prefix) and tokenized; the loss is on
   the reply only (`completion_mask`); a prompt longer than `max_length` loses its oldest tokens, never the
   reply.
3. `train_lora()`: TRL's SFTTrainer with a PEFT LoRA config (r, alpha, q/k/v/o projections) on CPU, or on
   CUDA when torch sees a GPU (bf16 there). The adapter is written to a temporary folder and renamed into
   place when training has finished, so a kill -9 mid-training leaves no half adapter behind.
4. `adapter_to_gguf()`: llama.cpp's own convert_lora_to_gguf.py (from the llama-cpp-python source archive,
   put in the venv by scripts/install.sh) turns the adapter into a GGUF LoRA that `Llama(lora_path=...)`
   loads: `local#lora=<file>` is the student with the new weights.

Defaults are the paper's soft SFT (3 epochs, lr 5e-6); README says what a 135M student needed instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from harness.models.base import Message, ToolCall, ToolSpec

SHARE = Path(sys.prefix) / "share" / "continual-harness"
HF_DIR_NAME = "smollm2-135m-hf"
LLAMA_CPP_DIR = SHARE / "llama.cpp"  # convert_lora_to_gguf.py, convert_hf_to_gguf.py, conversion/, gguf-py/


class TrainSettings(BaseModel):
    """LoRA SFT settings (defaults: the paper's soft SFT)."""

    epochs: float = Field(3.0, gt=0, description="passes over the shard")
    lr: float = Field(5e-6, gt=0, description="learning rate (AdamW)")
    max_steps: int = Field(-1, description="stop after this many optimizer steps (-1: the epochs decide)")
    batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(1, ge=1)
    rank: int = Field(8, ge=1, description="LoRA rank")
    alpha: int = Field(16, ge=1, description="LoRA alpha")
    dropout: float = Field(0.0, ge=0, lt=1)
    targets: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    top_layers: int | None = Field(None, ge=1, description="LoRA on the last N layers only (None: all)")
    max_length: int = Field(1024, ge=64, description="tokens per example; older prompt tokens are cut first")
    seed: int = 0
    threads: int | None = Field(None, description="torch CPU threads (None: torch's default)")
    gradient_checkpointing: bool = Field(True, description="recompute activations in the backward pass (TRL's "
                                         "default: less memory, more time)")


class TrainResult(BaseModel):
    adapter_dir: str
    examples: int
    steps: int
    loss: float | None  # mean training loss reported by the trainer
    first_loss: float | None = None
    last_loss: float | None = None
    seconds: float
    device: str


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def hf_checkpoint(gguf: Path | None = None, cache: Path | None = None) -> Path:
    """The student's plain HF checkpoint (converted from its GGUF once; cached)."""
    from harness.models.local import smollm2_path

    gguf = Path(gguf) if gguf else smollm2_path()
    out = (cache or SHARE) / (HF_DIR_NAME if gguf == smollm2_path() else f"{gguf.stem}-hf")
    if (out / "config.json").exists():
        return out
    with _locked(out.with_suffix(".lock")):
        if (out / "config.json").exists():
            return out
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        config = quantized.config
        if hasattr(config, "quantization_config"):  # else the saved checkpoint still claims to be GGUF-quantized
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantized.state_dict())
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.replace(out)
    return out


def examples(rows: list[dict[str, Any]], render: Any, tokenizer: Any, max_length: int) -> list[dict[str, list[int]]]:
    """Shard lines -> {"input_ids", "completion_mask"}: the prompt exactly as the student renders it, the
    teacher's reply as the completion (loss on it only). `render(messages, tools, reply) -> (prompt, reply)`."""
    out = []
    for row in rows:
        msgs = [Message(role=m["role"], content=m["content"]) for m in row["messages"]]
        reply_msg = msgs.pop()
        reply = json.loads(reply_msg.content)
        tools = [ToolSpec.model_validate(t) for t in json.loads(row["tools"])]
        prompt, completion = render(msgs, tools, ToolCall(name=reply["tool"], arguments=reply["arguments"]))
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c_ids = tokenizer(completion, add_special_tokens=False)["input_ids"]
        c_ids = c_ids[:max_length - 16]
        p_ids = p_ids[max(0, len(p_ids) - (max_length - len(c_ids))):]
        out.append({"input_ids": p_ids + c_ids, "completion_mask": [0] * len(p_ids) + [1] * len(c_ids)})
    return out


def train_lora(base: Path, data: list[dict[str, list[int]]], out_dir: Path, settings: TrainSettings,
               log: Any = None, init: Path | None = None) -> TrainResult:
    """Fine-tune a LoRA adapter on pre-tokenized examples; the adapter lands in `out_dir` when done. With
    `init`, training continues that adapter (the previous iteration's weights) instead of a fresh one."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig, SFTTrainer

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if settings.threads:
        torch.set_num_threads(settings.threads)
    cuda = torch.cuda.is_available()
    t0 = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16 if cuda else torch.float32)
    layers = None
    if settings.top_layers:
        n = model.config.num_hidden_layers
        layers = list(range(max(0, n - settings.top_layers), n))
    lora = LoraConfig(r=settings.rank, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=settings.targets, layers_to_transform=layers, task_type="CAUSAL_LM")
    work = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    losses: list[float] = []

    class Losses(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any) -> None:
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))
                if log:
                    log(f"train step {state.global_step}/{state.max_steps}: loss {logs['loss']:.4f}")

    config = SFTConfig(
        output_dir=str(work), num_train_epochs=settings.epochs, max_steps=settings.max_steps,
        learning_rate=settings.lr, per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum, logging_steps=1, save_strategy="no", report_to=[],
        completion_only_loss=True, max_length=settings.max_length, seed=settings.seed, use_cpu=not cuda,
        bf16=cuda, disable_tqdm=True, dataloader_num_workers=0, lr_scheduler_type="constant",
        gradient_checkpointing=settings.gradient_checkpointing,
    )
    if init is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(init), is_trainable=True)
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(data),
                         processing_class=tokenizer, peft_config=None if init is not None else lora,
                         callbacks=[Losses()])
    result = trainer.train()
    trainer.model.save_pretrained(work / "adapter")
    shutil.rmtree(out_dir, ignore_errors=True)
    (work / "adapter").replace(out_dir)
    shutil.rmtree(work, ignore_errors=True)
    return TrainResult(adapter_dir=str(out_dir), examples=len(data), steps=int(result.global_step),
                       loss=round(float(result.training_loss), 5) if result.global_step else None,
                       first_loss=losses[0] if losses else None, last_loss=losses[-1] if losses else None,
                       seconds=round(time.monotonic() - t0, 2), device="cuda" if cuda else "cpu")


def adapter_to_gguf(adapter_dir: Path, base: Path, out: Path, scripts: Path | None = None) -> Path:
    """The PEFT adapter as a GGUF LoRA for llama.cpp (its own convert_lora_to_gguf.py)."""
    scripts = scripts or LLAMA_CPP_DIR
    script = scripts / "convert_lora_to_gguf.py"
    if not script.exists():
        raise RuntimeError(f"{script} missing: run scripts/install.sh (it copies llama.cpp's converters into the venv)")
    tmp = out.with_name(out.name + ".tmp")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "OMP_NUM_THREADS")}
    env["PYTHONPATH"] = f"{scripts / 'gguf-py'}:{scripts}"
    env["NO_LOCAL_GGUF"] = ""
    proc = subprocess.run([sys.executable, str(script), str(adapter_dir), "--base", str(base), "--outfile", str(tmp),
                           "--outtype", "f32"], capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0 or not tmp.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"convert_lora_to_gguf failed: {tail[0]}")
    tmp.replace(out)
    return out
