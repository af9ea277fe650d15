"""The record of every LLM call a process made, drained by whoever ships it to the run's database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from pydantic import BaseModel, Field


class LLMCallRecord(BaseModel):
    """One request sent to a provider (each retry attempt is its own record) or one cache hit."""

    role: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Ledger:
    """Thread-safe in-memory list of records; `drain()` hands them over exactly once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[LLMCallRecord] = []

    def add(self, record: LLMCallRecord) -> None:
        with self._lock:
            self._records.append(record)

    def drain(self) -> list[LLMCallRecord]:
        with self._lock:
            records, self._records = self._records, []
        return records

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


_SCOPED: ContextVar[Ledger | None] = ContextVar("evopersona_scoped_ledger", default=None)


@contextmanager
def scoped_ledger() -> Iterator[Ledger]:
    """Collect the calls made in this context (and the tasks and threads it starts) in their own ledger.

    Several evaluations can share one gateway (the inline executor); each one's calls must still be
    charged to it. Outside any scope, calls go to the gateway's own ledger.
    """
    ledger = Ledger()
    token = _SCOPED.set(ledger)
    try:
        yield ledger
    finally:
        _SCOPED.reset(token)


def active_ledger(default: Ledger) -> Ledger:
    scoped = _SCOPED.get()
    return default if scoped is None else scoped
