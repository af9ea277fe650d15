"""The on-disk response cache: one SQLite file that several processes (Ray workers) share.

The key is a hash of the full request (model, messages, temperature, max_tokens, seed), so a hit
is only ever the answer to exactly the same request. WAL mode plus a busy timeout lets many
processes read and write at once; an insert of a key another process just wrote is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
)
"""


class CachedResponse(BaseModel):
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float


class CacheStats(BaseModel):
    entries: int
    stored_hits: int
    hits: int
    misses: int


def request_key(
    model: str, messages: list[dict[str, Any]], temperature: float, max_tokens: int, seed: int | None
) -> str:
    """A stable hash of everything that determines the answer."""
    payload = {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens, "seed": seed}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Get/put answers by request key; counts hits here and in the file (across processes)."""

    FILENAME = "responses.sqlite"

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / self.FILENAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            row = self._db.execute(
                "UPDATE responses SET hits = hits + 1 WHERE key = ? RETURNING text, tokens_in, tokens_out, cost_usd",
                (key,),
            ).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return CachedResponse(text=row[0], tokens_in=row[1], tokens_out=row[2], cost_usd=row[3])

    def put(self, key: str, model: str, response: CachedResponse) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO responses (key, model, text, tokens_in, tokens_out, cost_usd) VALUES (?, ?, ?, ?, ?, ?)",
                (key, model, response.text, response.tokens_in, response.tokens_out, response.cost_usd),
            )

    def stats(self) -> CacheStats:
        with self._lock:
            entries, stored_hits = self._db.execute("SELECT COUNT(*), COALESCE(SUM(hits), 0) FROM responses").fetchone()
        return CacheStats(entries=entries, stored_hits=stored_hits, hits=self.hits, misses=self.misses)

    def close(self) -> None:
        with self._lock:
            self._db.close()
