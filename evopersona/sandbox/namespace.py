"""The namespace a program executes in: safe builtins and public-only views of allow-listed modules.

Real stdlib modules carry their own imports (`typing.sys`, `random._os`); a program receives a
read-only view holding only each module's public, non-module names, so no attribute path leads from
an allowed module to `os` or `sys`. Names that evaluate strings as code (`typing.get_type_hints`)
are withheld, and names that look up attributes by run-time strings are narrowed (safe_stdlib.py).
Built in the worker before it drops privileges.
"""

from __future__ import annotations

import builtins
import importlib
import types
from typing import Any

from evopersona.generator import ALLOWED_IMPORTS
from evopersona.sandbox.safe_stdlib import REPLACED, WITHHELD

SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "classmethod", "complex",
    "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset", "hash", "hex", "id", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "oct", "ord",
    "pow", "property", "range", "repr", "reversed", "round", "set", "slice", "sorted", "staticmethod",
    "str", "sum", "super", "tuple", "zip", "True", "False", "None", "NotImplemented", "Ellipsis",
    "ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
    "LookupError", "NameError", "NotImplementedError", "OverflowError", "RecursionError",
    "RuntimeError", "StopIteration", "TypeError", "UnicodeError", "ValueError", "ZeroDivisionError",
    "__build_class__",
)


class ModuleView:
    """A read-only public view of a module: attribute writes are refused."""

    __slots__ = ("_label", "_names")

    def __init__(self, label: str, names: dict[str, Any]) -> None:
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name: str) -> Any:
        names = object.__getattribute__(self, "_names")
        if name in names:
            return names[name]
        raise AttributeError(f"module '{object.__getattribute__(self, '_label')}' has no public attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("modules are read-only inside the sandbox")

    def __repr__(self) -> str:
        return f"<module '{object.__getattribute__(self, '_label')}' (sandbox view)>"


def _public_names(module: types.ModuleType) -> dict[str, Any]:
    listed = getattr(module, "__all__", None)
    candidates = listed if listed is not None else [n for n in vars(module) if not n.startswith("_")]
    withheld = WITHHELD.get(module.__name__, set())
    replaced = REPLACED.get(module.__name__, {})
    names: dict[str, Any] = {}
    for name in candidates:
        if name.startswith("_") or name in withheld or not hasattr(module, name):
            continue
        value = replaced.get(name, getattr(module, name))
        if not isinstance(value, types.ModuleType):
            names[name] = value
    return names


def preload_modules() -> dict[str, dict[str, Any]]:
    """Import every allowed module now, while the interpreter's files are still readable."""
    return {name: _public_names(importlib.import_module(name)) for name in sorted(ALLOWED_IMPORTS)}


def _safe_getattr(obj: Any, name: str, *default: Any) -> Any:
    if not isinstance(name, str) or name.startswith("_"):
        raise AttributeError(f"getattr of '{name}' is not allowed in the sandbox")
    return getattr(obj, name, *default)


def _safe_hasattr(obj: Any, name: str) -> bool:
    if not isinstance(name, str) or name.startswith("_"):
        raise AttributeError(f"hasattr of '{name}' is not allowed in the sandbox")
    return hasattr(obj, name)


def _discard_print(*args: Any, **kwargs: Any) -> None:
    """Programs may print while debugging; the output goes nowhere (stdout is the protocol pipe)."""


def build_namespace(modules: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """Fresh globals for one program: safe builtins and an import that hands out module views."""
    views = {mod: ModuleView(mod, dict(names)) for mod, names in modules.items()}

    def restricted_import(module: str, globals_: Any = None, locals_: Any = None,
                          fromlist: Any = (), level: int = 0) -> ModuleView:
        if level or module not in views:
            raise ImportError(f"import of '{module}' is not allowed in the sandbox")
        for item in fromlist or ():
            if item.startswith("_") or item not in modules[module]:
                raise ImportError(f"cannot import '{item}' from '{module}' in the sandbox")
        return views[module]

    safe = {n: getattr(builtins, n) for n in SAFE_BUILTIN_NAMES}
    safe.update(__import__=restricted_import, getattr=_safe_getattr, hasattr=_safe_hasattr, print=_discard_print)
    return {"__builtins__": safe, "__name__": name, "__doc__": None}
