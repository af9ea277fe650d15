"""Normalised code and its hash: two programs that differ only in comments, docstrings or layout
are the same program, so the store keeps one row and the search never evaluates it twice.
"""

from __future__ import annotations

import ast
import functools
import hashlib

from evopersona import pyast


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=1024)
def normalise_code(code: str) -> str:
    """Canonical text of a program: ast.unparse without comments, docstrings or layout.

    Memoised: a child is normalised for the no-change, duplicate and near-duplicate checks and again
    when stored, and parents recur; unparsing costs milliseconds a time on the driver.

    Code that does not parse has no syntax tree; it falls back to its non-blank lines with trailing
    whitespace removed, so its hash is still stable (such code is rejected before evaluation anyway).
    """
    try:
        tree = pyast.parse(code)
    except SyntaxError:
        return "\n".join(line.rstrip() for line in code.splitlines() if line.strip())
    return ast.unparse(_strip_docstrings(tree))


def code_hash(code: str) -> str:
    """sha256 (hex) of the normalised code: the identity of a program within a run."""
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()
