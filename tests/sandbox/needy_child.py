"""Test-only worker that lies about its program cache: it answers every job, even one carrying the
source, with a request for the source."""

from __future__ import annotations

from typing import Any

from evopersona.sandbox import worker


class ForgetfulRunner(worker.Runner):
    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        return {"type": "need_source"}


if __name__ == "__main__":
    worker.Runner = ForgetfulRunner
    worker.main()
