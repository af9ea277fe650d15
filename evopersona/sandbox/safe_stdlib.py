"""Replacements for the allowed-module names that perform attribute look-ups, code generation or
module writes on names a program chooses at run time.

The static gate only sees names written in the source; these functions receive names built at run
time (`"_" * 2 + "globals" + "_" * 2`), so each is narrowed here to what a persona generator needs:

- `string.Formatter`: `get_field` walks `"0.attr[key]"` with getattr; private/dunder steps are
  refused. A fresh class (not a subclass), so `super()` cannot reach the unrestricted method.
- `functools.update_wrapper` / `wraps`: copy only the standard attributes, never caller-chosen ones.
- `dataclasses`: field names reach `getattr` (`asdict`, `astuple`, `replace`) and the source text of
  the generated `__init__` (`dataclass`, `make_dataclass`); they must be identifiers without `__`.
- Withheld (see namespace.py): `functools.singledispatch`/`singledispatchmethod` (`register` evaluates
  string annotations as code), `enum.global_enum` (writes members into any loaded module),
  `typing.get_type_hints`/`ForwardRef` (evaluate strings).
"""

from __future__ import annotations

import _string
import dataclasses
import functools
import string
from collections.abc import Callable
from typing import Any

WITHHELD = {
    "typing": {"get_type_hints", "ForwardRef", "get_overloads", "no_type_check_decorator"},
    "functools": {"singledispatch", "singledispatchmethod"},
    "enum": {"global_enum"},
}


class SandboxRefused(AttributeError):
    """A library call was asked to touch a private or dunder name on the program's behalf."""


def _check_name(name: Any, what: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
        raise SandboxRefused(f"{what} '{name}' is not allowed in the sandbox")


def _safe_get_field(self: Any, field_name: str, args: Any, kwargs: Any) -> Any:
    _, rest = _string.formatter_field_name_split(field_name)
    for is_attr, name in rest:
        if is_attr and (not isinstance(name, str) or name.startswith("_")):
            raise SandboxRefused(f"format field attribute '{name}' is not allowed in the sandbox")
    return _FORMATTER_GET_FIELD(self, field_name, args, kwargs)


_FORMATTER_GET_FIELD = string.Formatter.get_field
Formatter = type("Formatter", (), {
    **{k: v for k, v in vars(string.Formatter).items() if not k.startswith("__") or k == "__doc__"},
    "get_field": _safe_get_field, "__module__": "string",
})


def update_wrapper(wrapper: Any, wrapped: Any, assigned: Any = functools.WRAPPER_ASSIGNMENTS,
                   updated: Any = functools.WRAPPER_UPDATES) -> Any:
    if tuple(assigned) != functools.WRAPPER_ASSIGNMENTS or tuple(updated) != functools.WRAPPER_UPDATES:
        raise SandboxRefused("update_wrapper/wraps with custom attribute names is not allowed in the sandbox")
    return functools.update_wrapper(wrapper, wrapped)


def wraps(wrapped: Any, assigned: Any = functools.WRAPPER_ASSIGNMENTS,
          updated: Any = functools.WRAPPER_UPDATES) -> Callable[[Any], Any]:
    return functools.partial(update_wrapper, wrapped=wrapped, assigned=assigned, updated=updated)


def _checked_fields(obj: Any) -> tuple[dataclasses.Field, ...]:
    found = dataclasses.fields(obj)
    for field in found:
        _check_name(field.name, "dataclass field name")
    return found


def fields(obj: Any) -> tuple[dataclasses.Field, ...]:
    return _checked_fields(obj)


def asdict(obj: Any, *, dict_factory: Any = dict) -> Any:
    _checked_fields(obj)
    return dataclasses.asdict(obj, dict_factory=dict_factory)


def astuple(obj: Any, *, tuple_factory: Any = tuple) -> Any:
    _checked_fields(obj)
    return dataclasses.astuple(obj, tuple_factory=tuple_factory)


def replace(obj: Any, /, **changes: Any) -> Any:
    _checked_fields(obj)
    return dataclasses.replace(obj, **changes)


def _check_annotations(cls: Any) -> None:
    annotations = cls.__dict__.get("__annotations__", {}) if isinstance(cls, type) else {}
    for name in annotations:
        _check_name(name, "dataclass field name")


def dataclass(cls: Any = None, /, **options: Any) -> Any:
    def wrap(target: Any) -> Any:
        _check_annotations(target)
        return dataclasses.dataclass(target, **options)

    return wrap if cls is None else wrap(cls)


def make_dataclass(cls_name: str, fields: Any, **options: Any) -> Any:
    for item in fields:
        _check_name(item if isinstance(item, str) else item[0], "dataclass field name")
    for base in options.get("bases", ()):
        _check_annotations(base)
    return dataclasses.make_dataclass(cls_name, fields, **options)


REPLACED: dict[str, dict[str, Any]] = {
    "string": {"Formatter": Formatter},
    "functools": {"update_wrapper": update_wrapper, "wraps": wraps},
    "dataclasses": {"dataclass": dataclass, "make_dataclass": make_dataclass, "fields": fields,
                    "asdict": asdict, "astuple": astuple, "replace": replace},
}
