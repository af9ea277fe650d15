"""What a failed request means for the next attempt: retry (after how long) or give up.

Transports turn their own exceptions into `CallError`; the gateway only looks at `retryable`
and `retry_after_s`. Rate limits, timeouts, lost connections and 5xx are retried; other 4xx are
not, because sending the same request again cannot fix them.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import Any

RETRYABLE_STATUS = frozenset({408, 409, 429})


class CallError(Exception):
    """One failed request, normalised across transports (message already free of secrets)."""

    def __init__(
        self, kind: str, message: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s
        self.message = message
        super().__init__(f"{kind}{f' {status}' if status else ''}: {message}")

    @property
    def retryable(self) -> bool:
        if self.kind in ("rate_limit", "timeout", "connection", "server"):
            return True
        return self.status is not None and (self.status in RETRYABLE_STATUS or self.status >= 500)


def kind_for_status(status: int) -> str:
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "client"


def parse_retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if present."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(float(lowered["retry-after-ms"]) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed is not None else None


class Backoff:
    """Exponential backoff with full jitter, capped; a server's Retry-After takes precedence."""

    def __init__(self, base_s: float = 0.5, cap_s: float = 30.0, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self._rng = rng or random.Random()

    def delay(self, attempt: int, error: CallError) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 0)."""
        if error.retry_after_s is not None:
            return error.retry_after_s + self._rng.uniform(0, 0.1 * max(error.retry_after_s, self.base_s))
        return self._rng.uniform(self.base_s / 2, min(self.cap_s, self.base_s * 2**attempt))
