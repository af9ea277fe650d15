"""The runs a service instance serves: found in one folder, each with one database engine and one
sandbox pool kept for the server's life. Every store read opens its own session, so each request
sees the latest commits of an evolution writing the same database (SQLite WAL).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from evopersona.api import NotFound
from evopersona.runs import CONFIG_FILE, OpenRun, read_run_config
from evopersona.sandbox.pool import SandboxPool
from evopersona.store.store import Store

_RUN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class _Entry:
    store: Store
    pool: SandboxPool | None = None


class RunRegistry:
    """Looks runs up by name under `runs_dir`; thread-safe (requests are served from a thread pool)."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        if not self.runs_dir.is_dir():
            return []
        return sorted(p.name for p in self.runs_dir.iterdir() if (p / CONFIG_FILE).is_file())

    def _folder(self, name: str) -> Path:
        if not _RUN_NAME.match(name) or name in (".", ".."):
            raise NotFound(f"no run named '{name}'")
        folder = self.runs_dir / name
        if not (folder / CONFIG_FILE).is_file():
            raise NotFound(f"no run named '{name}' in {self.runs_dir}")
        return folder

    def open(self, name: str) -> OpenRun:
        """The run `name` with its row freshly read (its status changes while it evolves)."""
        folder = self._folder(name)
        config = read_run_config(folder)
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                entry = self._entries[name] = _Entry(store=Store(config.storage_url()))
        run = entry.store.get_run(config.name)
        if run is None:
            raise NotFound(f"run '{name}' has no results yet")
        return OpenRun(config=config, store=entry.store, run=run)

    def pool(self, opened: OpenRun) -> SandboxPool:
        """The run's sandbox pool, started on first use."""
        name = opened.run_dir.name
        with self._lock:
            entry = self._entries[name]
            if entry.pool is None:
                entry.pool = SandboxPool(opened.config.sandbox)
            return entry.pool

    def close(self) -> None:
        with self._lock:
            for entry in self._entries.values():
                if entry.pool is not None:
                    entry.pool.close()
                entry.store.close()
            self._entries.clear()
