"""The record of every LLM call a process made, drained by whoever ships it to the run's database."""

from __future__ import annotations

import threading
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
