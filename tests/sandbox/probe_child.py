"""Test-only worker that runs raw Python *past* the gate and the restricted namespace.

It is confined exactly like the real worker (same `limits.confine`, same spawn path through
`WorkerProcess`), so what fails here fails because of the process-level limits alone.
"""

from __future__ import annotations

import builtins
import json
import os
import socket  # noqa: F401 - imported while still root so probe code can use them after the drop
import subprocess  # noqa: F401
import traceback

from evopersona.sandbox import limits
from evopersona.sandbox.protocol import read_frame, write_frame


def main() -> None:
    fd_in, fd_out = os.dup(0), os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDWR), 0)
    os.dup2(2, 1)
    settings = read_frame(fd_in, 1 << 20)
    warnings = limits.confine(settings)
    write_frame(fd_out, {"type": "ready", "warnings": warnings, "uid": os.getuid()})
    while True:
        job = read_frame(fd_in, 1 << 24)
        namespace = {"__builtins__": builtins}
        try:
            exec(job["code"], namespace)
            write_frame(fd_out, {"type": "result", "body": json.dumps(namespace.get("result"))})
        except BaseException as exc:  # noqa: BLE001 - the probe reports whatever the code raised
            write_frame(fd_out, {"type": "error", "kind": type(exc).__name__, "reason": str(exc),
                                 "trace": traceback.format_exc()})


if __name__ == "__main__":
    main()
