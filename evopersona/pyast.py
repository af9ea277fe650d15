"""One place to parse Python source: `ast.parse` under a process-wide lock.

CPython 3.11's AST constructor keeps its recursion depth in shared state, so two threads parsing at
once can fail with "SystemError: AST constructor recursion depth mismatch" (cpython gh-106905). The
driver, the sandbox gate and the offline mutator all parse programs, sometimes from several threads.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    with _LOCK:
        return ast.parse(source, filename=filename)
