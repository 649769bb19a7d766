"""Small helpers shared by the HTTP back-ends: spec parsing, key handling, error mapping."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from harness.models.base import ModelError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# 408 timeout, 409 lock, 429 rate limit, 5xx server: worth another try later; 4xx otherwise are not.
RETRYABLE_STATUS = {408, 409, 429}


def split_spec(rest: str, spec: str) -> tuple[str, str | None]:
    """`<model>` or `<model>@<base_url>` -> (model, base_url or None)."""
    model, _, url = rest.partition("@")
    if not model:
        raise ValueError(
            f"model spec {spec!r} names no model; expected e.g. openai:gpt-4o or vllm:NAME@http://host:8000/v1"
        )
    if url and urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"model spec {spec!r}: base URL {url!r} must start with http:// or https://")
    return model, url or None


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


def status_error(provider: str, spec: str, status: int, message: str, secret: str) -> ModelError:
    retryable = status in RETRYABLE_STATUS or status >= 500
    return ModelError(scrub(f"{provider} HTTP {status} for {spec}: {message}", secret)[:1000], retryable=retryable)
