"""Programs parsed once per top-level statement, so a child costs the parse of what its mutation changed.

A program is split into units: the lines from one top-level statement that starts a line at column 0
up to the next. A unit parses on its own into the same statements, so its syntax tree and normalised
text (docstrings stripped, `ast.unparse`) are cached by its text and shared by every program that
contains it. A child is compared line by line with its parent: the parent's units inside the
unchanged head and tail are reused and only the lines between them are parsed. When those lines do
not parse on their own (an edit that continues a statement of the head, or a real syntax error), the
whole child is parsed, so results and error messages are exactly those of parsing the whole child.

The normalised text is the whole module's `ast.unparse` rebuilt from the statements' own: top-level
statements are joined by a newline, with a blank line before a def or class.
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from dataclasses import dataclass

from evopersona import pyast

UNIT_CACHE_SIZE = 2048
PROGRAM_CACHE_SIZE = 2048
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True, slots=True)
class _Unit:
    statements: tuple[ast.stmt, ...]  # docstrings stripped
    pieces: tuple[str, ...]  # each statement's own ast.unparse
    lines: int


@dataclass(frozen=True, slots=True)
class _Program:
    normalised: str
    units: tuple[str, ...]  # the texts of its units, in order (none for code split otherwise than at \n)


@dataclass(frozen=True, slots=True)
class ParsedProgram:
    """Read-only: the statements are shared with every program holding the same unit."""

    module: ast.Module  # top-level statements, docstrings stripped inside them (the module's own kept)
    normalised: str


class _LRU(OrderedDict[str, object]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def lookup(self, key: str) -> object | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key: str, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


_UNITS = _LRU(UNIT_CACHE_SIZE)
_PROGRAMS = _LRU(PROGRAM_CACHE_SIZE)


def strip_docstrings(tree: ast.AST) -> ast.AST:
    """Drop the docstring of the node and of every function and class inside it."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            first = body[0] if body else None
            if _is_string(first):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _is_string(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _lines(code: str) -> list[str]:
    """Lines as the tokenizer counts them (split at \\n only, line breaks kept)."""
    lines = [line + "\n" for line in code.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    return lines


def _make_unit(statements: list[ast.stmt], lines: int) -> _Unit:
    for statement in statements:
        strip_docstrings(statement)
    return _Unit(tuple(statements), tuple(ast.unparse(s) for s in statements), lines)


def _split(tree: ast.Module, lines: list[str]) -> list[tuple[str, _Unit]]:
    """The units of parsed source, each keyed by its text; the first unit starts at the first line."""
    starts: list[int] = [0]
    groups: list[list[ast.stmt]] = [[]]
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", [])
        line = min([statement.lineno, *(d.lineno for d in decorators)]) - 1
        if line > starts[-1] and lines[line][:1] not in ("", " ", "\t", "\f", "\n", "#"):
            starts.append(line)
            groups.append([])
        groups[-1].append(statement)
    bounds = [*starts, len(lines)]
    units = []
    for index, statements in enumerate(groups):
        text = "".join(lines[bounds[index]:bounds[index + 1]])
        unit = _make_unit(statements, bounds[index + 1] - bounds[index])
        _UNITS.store(text, unit)
        units.append((text, unit))
    return units


def _unit(text: str) -> _Unit:
    unit = _UNITS.lookup(text)
    if unit is None:  # evicted: a unit parses on its own into the same statements
        [(_, unit)] = _split(pyast.parse(text), _lines(text))
    assert isinstance(unit, _Unit)
    return unit


def _common_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _from_base(code: str, base: _Program) -> list[tuple[str, _Unit]] | None:
    """The child's units reusing the base's unchanged head and tail, or None to parse it whole."""
    child = _lines(code)
    parent = _lines("".join(base.units))
    parent_units = [(text, _unit(text)) for text in base.units]
    head = _common_prefix(child, parent)
    tail = min(_common_prefix(child[::-1], parent[::-1]), min(len(child), len(parent)) - head)
    kept_head, covered = 0, 0
    while kept_head < len(parent_units) and covered + parent_units[kept_head][1].lines <= head:
        covered += parent_units[kept_head][1].lines
        kept_head += 1
    kept_tail, tail_covered = 0, 0
    while (kept_tail < len(parent_units) - kept_head
           and tail_covered + parent_units[-1 - kept_tail][1].lines <= tail):
        tail_covered += parent_units[-1 - kept_tail][1].lines
        kept_tail += 1
    middle_lines = child[covered:len(child) - tail_covered]
    try:
        middle = pyast.parse("".join(middle_lines))
    except Exception:  # noqa: BLE001 - whatever the middle alone raises, parsing the whole child decides
        return None
    middle_units = _split(middle, middle_lines) if middle_lines else []
    return [*parent_units[:kept_head], *middle_units, *parent_units[len(parent_units) - kept_tail:]]


def _laid_out(statements: list[ast.stmt], pieces: list[str]) -> tuple[list[ast.stmt], list[str]] | None:
    """The statements and pieces of the normalised text without the module docstring, or None when
    a second string becomes the docstring (then `ast.unparse` lays the module out whole)."""
    if statements and _is_string(statements[0]):
        statements, pieces = statements[1:], pieces[1:]
        if not statements:
            return [], ["pass"]
    if statements and _is_string(statements[0]):
        return None
    return statements, pieces


def _normalised(statements: list[ast.stmt], pieces: list[str]) -> str:
    laid_out = _laid_out(statements, pieces)
    if laid_out is None:  # a second string would become the docstring: unparse lays the rest out whole
        return ast.unparse(ast.Module(body=statements[1:], type_ignores=[]))
    statements, pieces = laid_out
    if not statements:
        return "".join(pieces)  # "" or "pass"
    parts = []
    for index, (statement, piece) in enumerate(zip(statements, pieces, strict=True)):
        if index:
            parts.append("\n\n" if isinstance(statement, _DEFINITIONS) else "\n")
        parts.append(piece)
    return "".join(parts)


def _units(code: str, base: str | None) -> list[tuple[str, _Unit]]:
    parent = _PROGRAMS.lookup(base) if base is not None else None
    units = _from_base(code, parent) if isinstance(parent, _Program) and parent.units else None
    return units if units is not None else _split(pyast.parse(code), _lines(code))


def parse_program(code: str, base: str | None = None) -> ParsedProgram:
    """The program's statements and normalised text; raises SyntaxError as `ast.parse(code)` would.

    `base` is a program `code` was derived from (its parent): the units they share are not parsed again.
    """
    known = _PROGRAMS.lookup(code)
    if "\r" in code:  # \r breaks lines for the tokenizer too: no units, the whole program at once
        tree = strip_docstrings(pyast.parse(code))
        assert isinstance(tree, ast.Module)
        normalised = known.normalised if isinstance(known, _Program) else ast.unparse(tree)
        _PROGRAMS.store(code, _Program(normalised, ()))
        return ParsedProgram(tree, normalised)
    if isinstance(known, _Program):
        units = [(text, _unit(text)) for text in known.units]
    else:
        units = _units(code, base)
    statements = [s for _, unit in units for s in unit.statements]
    if not isinstance(known, _Program):
        known = _Program(_normalised(statements, [p for _, unit in units for p in unit.pieces]),
                         tuple(text for text, _ in units))
    _PROGRAMS.store(code, known)
    return ParsedProgram(ast.Module(body=statements, type_ignores=[]), known.normalised)


def normalised_code(code: str, base: str | None = None) -> str:
    """`parse_program(code, base).normalised`, without building the module when the program is known."""
    known = _PROGRAMS.lookup(code)
    if isinstance(known, _Program):
        return known.normalised
    return parse_program(code, base).normalised


def normalised_pieces(code: str, base: str | None = None) -> list[str] | None:
    """Texts whose join, with line breaks between them, is `normalised_code(code, base)`: each
    statement's own (shared by every program holding it, so work done per piece is done once per
    statement), or None when the text is laid out whole (a code with \\r, or a second string as
    docstring). Raises SyntaxError as `parse_program` does."""
    parse_program(code, base)
    if "\r" in code:
        return None
    known = _PROGRAMS.lookup(code)
    assert isinstance(known, _Program)
    units = [_unit(text) for text in known.units]
    laid_out = _laid_out([s for unit in units for s in unit.statements], [p for unit in units for p in unit.pieces])
    return None if laid_out is None else laid_out[1]
