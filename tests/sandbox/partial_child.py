"""Test-only worker that lies about its result: it answers every run with a result frame that has no
axes, no NO_PERSONA and no records."""

from __future__ import annotations

from typing import Any

from evopersona.sandbox import worker


class PartialRunner(worker.Runner):
    def run(self, job: dict[str, Any]) -> bytes:
        return b'{"type":"result"}'


if __name__ == "__main__":
    worker.Runner = PartialRunner
    worker.main()
