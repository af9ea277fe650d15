"""Test-only entry point: the real sandbox worker with the gate's partner, the namespace views,
switched off. Programs run with real builtins and may import anything already loaded here, so what
fails fails because of the OS layers alone (the pool's static gate is skipped too: tests talk to
`WorkerProcess` directly). Only a module outside the package can start the worker this way.
"""

from __future__ import annotations

import ctypes  # noqa: F401 - loaded before confinement, so probe code can reach raw syscalls
import signal  # noqa: F401
import socket  # noqa: F401
import subprocess  # noqa: F401

from evopersona.sandbox import worker

if __name__ == "__main__":
    worker.main(guarded=False)
