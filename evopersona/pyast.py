"""One place to parse Python source, robust to a CPython 3.11 bug.

CPython 3.11's AST constructor keeps its recursion depth in interpreter-wide state; when another
thread touches that state while a tree is being built (parsing, or Python code run by the garbage
collector in the middle of it), `ast.parse` fails with "SystemError: AST constructor recursion depth
mismatch" although the source is fine (cpython gh-106905). The driver, the sandbox gate and the
offline mutator parse programs from several threads, so parsing here is serialised and a parse
that hits this spurious error is retried (each parse starts from fresh state).
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()
_ATTEMPTS = 5
_SPURIOUS = "recursion depth mismatch"


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    attempt = 1
    with _LOCK:
        while True:
            try:
                return ast.parse(source, filename=filename)
            except SystemError as exc:
                if _SPURIOUS not in str(exc) or attempt >= _ATTEMPTS:
                    raise
                attempt += 1
