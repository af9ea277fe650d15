"""Scrub API keys out of text (provider error messages echo them) before it is logged or stored."""

from __future__ import annotations

import os
import re

_KEY_PATTERN = re.compile(r"\b(sk|pk|rk|gsk|xai|sk-ant|sk-proj)-[A-Za-z0-9_\-]{6,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")
_SECRET_ENV = re.compile(r"(?i)(API_KEY|_KEY|_TOKEN|_SECRET)$")


def _secret_values() -> list[str]:
    return [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and len(v) >= 6]


def redact(text: str, extra_secrets: tuple[str, ...] = ()) -> str:
    """Replace every known secret value, key-shaped token and bearer credential with '***'."""
    for secret in (*extra_secrets, *_secret_values()):
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    text = _KEY_PATTERN.sub("***", text)
    return _BEARER.sub(r"\1***", text)
