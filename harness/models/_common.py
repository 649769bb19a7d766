"""Small helpers shared by the HTTP back-ends: spec parsing, key handling, error mapping."""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

from harness.models.base import ModelError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# 408 timeout, 409 lock, 429 rate limit, 5xx server: worth another try later; 4xx otherwise are not.
RETRYABLE_STATUS = {408, 409, 429}


def split_spec(rest: str, spec: str, options: frozenset[str] = frozenset()) -> tuple[str, str | None, set[str]]:
    """`<model>[@<base_url>][#opt,opt]` -> (model, base_url or None, options). Everything after '#' is a
    comma-separated option list; an option not in `options` is a one-line ValueError."""
    rest, _, opts = rest.partition("#")
    chosen = {o.strip() for o in opts.split(",") if o.strip()}
    unknown = sorted(chosen - options)
    if unknown:
        known = ", ".join(f"#{o}" for o in sorted(options)) or "none"
        raise ValueError(f"model spec {spec!r}: unknown option {'#' + unknown[0]!r} (known options: {known})")
    model, _, url = rest.partition("@")
    if not model:
        raise ValueError(
            f"model spec {spec!r} names no model; expected e.g. openai:gpt-4o or vllm:NAME@http://host:8000/v1"
        )
    if url and urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"model spec {spec!r}: base URL {url!r} must start with http:// or https://")
    return model, url or None, chosen


def is_loopback(url: str | None) -> bool:
    return bool(url) and urlparse(url).hostname in LOOPBACK_HOSTS


def api_key(env_var: str, base_url: str | None, spec: str, placeholder_ok: bool = False) -> str:
    """The key from `env_var`; a placeholder for loopback servers (or servers that need none),
    and a one-line error otherwise."""
    key = os.environ.get(env_var, "").strip()
    if key:
        return key
    if placeholder_ok or is_loopback(base_url):
        return "sk-no-key-needed"
    raise ValueError(f"{env_var} is not set; it is needed for model {spec!r}")


def scrub(text: str, secret: str) -> str:
    """`text` with the secret (and any long fragment of it) removed: error bodies may echo the key."""
    if len(secret) >= 8:
        text = text.replace(secret, "***")
        # servers often echo a masked key ("sk-abc...wxyz"): drop long fragments too
        for size in (24, 16, 12):
            for i in range(0, len(secret) - size + 1):
                fragment = secret[i : i + size]
                if fragment in text:
                    text = text.replace(fragment, "***")
    return text


# what makes two reports of the same failure differ: ids, timestamps, object addresses
_VOLATILE = [
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b(?:req|msg|chatcmpl|cmpl|call|toolu|run|resp)[_-](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{6,}"), "<id>"),
    (re.compile(r"(?i)(request[ _-]?id\W{1,3})[A-Za-z0-9_-]{6,}"), r"\1<id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "<addr>"),
    (re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[a-zA-Z])[A-Za-z0-9]{20,}\b"), "<id>"),
]


def stable(text: str) -> str:
    """`text` without the parts that change from one report of the same failure to the next."""
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def status_error(provider: str, spec: str, status: int, message: str, secret: str) -> ModelError:
    retryable = status in RETRYABLE_STATUS or status >= 500
    text = stable(scrub(f"{provider} HTTP {status} for {spec}: {message}", secret))[:1000]
    return ModelError(text, retryable=retryable, status=status)
