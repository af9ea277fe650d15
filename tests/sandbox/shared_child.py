"""Test-only worker that attacks the shared result buffer: before mapping it, it tries to shrink and
to grow the memfd (a shrunk buffer would crash the parent's reads with SIGBUS), and then it announces
whatever size its program returned (`[size]`) instead of the size it wrote."""

from __future__ import annotations

import json
import os
from typing import Any

from evopersona.sandbox import worker

SEAL_MISSING_EXIT = 3
_attach = worker.attach


def _attach_after_resizing(fd: int, size: int) -> Any:
    for new_size in (0, size * 2):
        try:
            os.ftruncate(fd, new_size)
        except PermissionError:
            continue
        os._exit(SEAL_MISSING_EXIT)
    return _attach(fd, size)


class LyingChannel(worker.Channel):
    def send(self, message: dict[str, Any] | bytes) -> None:
        if isinstance(message, bytes):
            message = {"type": "shared", "bytes": json.loads(message)["records"][0]}
        super().send(message)


if __name__ == "__main__":
    worker.attach = _attach_after_resizing
    worker.Channel = LyingChannel
    worker.main(guarded=False)
