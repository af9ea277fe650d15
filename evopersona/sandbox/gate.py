"""Static gate: reject a program before it runs if its source reaches for anything outside the contract.

This is the first of three layers (then a restricted namespace in the worker, then an unprivileged,
network-less, resource-limited process). It is cheap and gives the clearest reasons, so the mutator
learns what not to write; the process layer is what actually contains a program that slips past it.
"""

from __future__ import annotations

import ast
import re

from evopersona import pyast
from evopersona.generator import ALLOWED_IMPORTS, ProgramFailed

FORBIDDEN_NAMES = frozenset(
    {
        "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "dir",
        "getattr", "setattr", "delattr", "breakpoint", "input", "help", "memoryview", "type",
        "__builtins__", "__loader__", "__spec__", "exit", "quit",
    }
)
# Attributes that reach interpreter internals without a leading underscore (frames, code objects).
FORBIDDEN_ATTRS = frozenset(
    {
        "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code",
        "ag_await", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame", "tb_next",
        "format_map", "mro",
    }
)
_DUNDER = re.compile(r"__\w+__")
MAX_SOURCE_CHARS = 200_000


class GateRejected(ProgramFailed):
    """The source failed the static gate; `reason` names the line and the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__("gate", reason)


def _where(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}"


def _check_node(node: ast.AST) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            root = alias.name.split(".")[0]
            if root not in ALLOWED_IMPORTS or "." in alias.name:
                raise GateRejected(f"{_where(node)}: import of '{alias.name}' is not allowed "
                                   f"(allowed: {', '.join(sorted(ALLOWED_IMPORTS))})")
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            raise GateRejected(f"{_where(node)}: relative imports are not allowed")
        if node.module not in ALLOWED_IMPORTS:
            raise GateRejected(f"{_where(node)}: import from '{node.module}' is not allowed "
                               f"(allowed: {', '.join(sorted(ALLOWED_IMPORTS))})")
        for alias in node.names:
            if alias.name.startswith("_"):
                raise GateRejected(f"{_where(node)}: importing private name '{alias.name}' is not allowed")
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise GateRejected(f"{_where(node)}: access to private/dunder attribute '.{node.attr}' is not allowed")
        if node.attr in FORBIDDEN_ATTRS:
            raise GateRejected(f"{_where(node)}: access to interpreter internals '.{node.attr}' is not allowed")
    elif isinstance(node, ast.Name):
        if node.id in FORBIDDEN_NAMES:
            raise GateRejected(f"{_where(node)}: use of '{node.id}' is not allowed")
        if _DUNDER.fullmatch(node.id) and node.id not in ("__name__", "__doc__"):
            raise GateRejected(f"{_where(node)}: use of dunder name '{node.id}' is not allowed")
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        for name in node.names:
            if _DUNDER.fullmatch(name):
                raise GateRejected(f"{_where(node)}: rebinding dunder name '{name}' is not allowed")
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        found = _DUNDER.search(node.value)
        if found:
            raise GateRejected(f"{_where(node)}: string containing dunder name '{found.group()}' is not allowed")
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _DUNDER.fullmatch(node.name):
        if not (isinstance(node, ast.FunctionDef) and node.name in ("__init__", "__repr__", "__eq__", "__lt__",
                                                                        "__hash__", "__str__", "__len__", "__iter__")):
            raise GateRejected(f"{_where(node)}: defining '{node.name}' is not allowed")
    elif isinstance(node, ast.arg) and _DUNDER.fullmatch(node.arg):
        raise GateRejected(f"{_where(node)}: dunder parameter name '{node.arg}' is not allowed")


def check_source(source: str) -> ast.Module:
    """Parse and vet a program; raise GateRejected with the first rule it breaks."""
    if len(source) > MAX_SOURCE_CHARS:
        raise GateRejected(f"program is {len(source)} characters, the limit is {MAX_SOURCE_CHARS}")
    try:
        tree = pyast.parse(source, filename="<program>")
    except SyntaxError as exc:
        raise GateRejected(f"line {exc.lineno}: syntax error: {exc.msg}") from None
    for node in ast.walk(tree):
        _check_node(node)
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    if "generate" not in functions and "generate" not in names:
        raise GateRejected("program does not define `generate(task, n, llm, rng)` at module level")
    if "AXES" not in names:
        raise GateRejected("program does not define `AXES` at module level")
    return tree
