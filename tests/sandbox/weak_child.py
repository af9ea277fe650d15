"""Test-only worker on a pretend machine without seccomp: the layer reports itself unavailable."""

from __future__ import annotations

from evopersona.sandbox import seccomp, worker


def _unavailable() -> str:
    return "pretend kernel without seccomp"


if __name__ == "__main__":
    seccomp.install = _unavailable
    worker.main()
