"""Shards: relabeled transitions as chat-format JSONL that `datasets.load_dataset("json", data_files=...)` reads.

One line per relabeled transition:

    {"messages": [{"role": "system", ...}, {"role": "user", ...}, ..., {"role": "assistant", "content":
                  "{\"tool\": \"press_buttons\", \"arguments\": {...}}"}],
     "tools": "<JSON list of the tool specs the student was offered>",
     "images": ["<shard>.frames/<ref>.png", ...],   # the frame the student saw, relative to the shard
     "step": 12, "reward": 0.31, "scores": {"progress": ..., ...}, "teacher": "expert:quest",
     "student_action": "<JSON of what the student did>", "run": "<run dir name>"}

The assistant turn is the reply in the form the local back-end parses (`{"tool": ..., "arguments": ...}`),
so the fine-tuned student answers the way it is read. Nested values that vary in shape (tool schemas, the
student's action) are JSON strings, so every line has the same columns.

Secrets never land in a shard: every string is passed through `redact`, which removes the values of the
process's secret-looking environment variables (names with KEY, TOKEN, SECRET or PASSWORD) and strings
shaped like API keys (sk-..., sk-ant-..., AKIA..., ghp_..., hf_..., xox...-, AIza...).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from harness.colearn.relabel import Relabeled
from harness.log.store import RunReader
from harness.models.base import Message, ToolSpec

REDACTED = "[REDACTED]"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
KEY_SHAPES = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}|sk-(?:proj-)?[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|hf_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35}"
)


def _secret_values() -> list[str]:
    vals = {v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 8}
    return sorted(vals, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    for value in _secret_values() if secrets is None else secrets:
        text = text.replace(value, REDACTED)
    return KEY_SHAPES.sub(REDACTED, text)


def _scrub(obj: Any, secrets: list[str]) -> Any:
    if isinstance(obj, str):
        return redact(obj, secrets)
    if isinstance(obj, dict):
        return {k: _scrub(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub(v, secrets) for v in obj]
    return obj


def chat_message(m: Message) -> dict[str, str]:
    """A logged message in plain chat form (tool calls and results written out as text, as `local` sees them)."""
    content = m.content
    if m.tool_calls:
        content = "\n".join([content] * bool(content) + [json.dumps({"tool": c.name, "arguments": c.arguments})
                                                          for c in m.tool_calls])
    role = "user" if m.role == "tool" else m.role
    if m.role == "tool":
        content = f"Result of {m.name or 'the tool'}: {content}"
    return {"role": role, "content": content}


def write_shard(path: Path, rows: list[Relabeled], reader: RunReader, tools: list[ToolSpec], teacher: str) -> int:
    """Write `rows` to `path` (JSONL, atomically: a .tmp file renamed into place) with the frames beside it.
    Returns the number of lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = path.with_suffix(".frames")
    secrets = _secret_values()
    tools_json = json.dumps([t.model_dump() for t in tools])
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        for r in rows:
            images = []
            if r.frame_ref:
                frames.mkdir(exist_ok=True)
                png = frames / f"{r.frame_ref}.png"
                if not png.exists():
                    png.write_bytes(reader.get_blob(r.frame_ref))
                images.append(f"{frames.name}/{png.name}")
            reply = json.dumps({"tool": r.reply.name, "arguments": r.reply.arguments})
            row = {
                "messages": [chat_message(m) for m in r.messages] + [{"role": "assistant", "content": reply}],
                "tools": tools_json, "images": images, "step": r.step, "reward": r.reward,
                "scores": r.scores.model_dump(), "teacher": teacher, "student_action": json.dumps(r.student_action),
                "run": reader.run_dir.name,
            }
            f.write(json.dumps(_scrub(row, secrets)) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return len(rows)


def read_shard(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
