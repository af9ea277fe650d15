"""Normalised code and its hash: two programs that differ only in comments, docstrings or layout
are the same program, so the store keeps one row and the search never evaluates it twice.
"""

from __future__ import annotations

import hashlib

from evopersona.store.parsed import normalised_code


def normalise_code(code: str, base: str | None = None) -> str:
    """Canonical text of a program: ast.unparse without comments, docstrings or layout.

    Computed per top-level statement and memoised (see `parsed`): a child is normalised for the
    no-change, duplicate and near-duplicate checks and again when stored, and parents recur; `base`
    (the parent) lets a child reuse the statements it shares with it.

    Code that does not parse has no syntax tree; it falls back to its non-blank lines with trailing
    whitespace removed, so its hash is still stable (such code is rejected before evaluation anyway).
    """
    try:
        return normalised_code(code, base)
    except SyntaxError:
        return "\n".join(line.rstrip() for line in code.splitlines() if line.strip())


def code_hash(code: str) -> str:
    """sha256 (hex) of the normalised code: the identity of a program within a run."""
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()
