"""The offline mutator: SEARCH/REPLACE edits to the parent program found in the prompt.

Edits are located with `ast`, so every SEARCH is copied verbatim from the parent and the child
still parses and keeps `generate` and `AXES`. Kinds of edit: add a behaviour axis, add cue words to
a playbook, nudge a numeric constant, append a sentence to a prompt string. The prompt's mutation
angle weights the choice. Most edits add human-like cues (so offline evolution can improve); some
are neutral or unhelpful, as a model's would be.
"""

from __future__ import annotations

import ast
import json
import random
import re
from dataclasses import dataclass
from typing import Any, Callable

from evopersona import pyast
from evopersona.llm.offline import behaviours as B
from evopersona.llm.offline.text import content_of, request_rng

ANGLES = ("edit the axes", "edit the population prompt", "rewrite the expansion", "structural change", "new approach")
_WEIGHTS: dict[str | None, dict[str, float]] = {
    "edit the axes": {"add_axis": 0.5, "playbook": 0.35, "number": 0.15},
    "edit the population prompt": {"population": 0.6, "number": 0.2, "add_axis": 0.2},
    "rewrite the expansion": {"expansion": 0.6, "playbook": 0.3, "number": 0.1},
    "structural change": {"number": 0.4, "add_axis": 0.4, "expansion": 0.2},
    None: {"add_axis": 0.25, "playbook": 0.25, "number": 0.2, "population": 0.15, "expansion": 0.15},
}
# The weak variant (`offline/mutator-weak`) only nudges numeric constants or appends neutral and
# unhelpful sentences: valid children that rarely help.
WEAK = "weak"


@dataclass
class Edit:
    """Replace parent lines [start, end) with `new`; `note` says what it does."""

    start: int
    end: int
    new: list[str]
    note: str


def _splice(line: str, node: ast.expr, literal: str) -> str:
    raw = line.encode()
    return (raw[: node.col_offset] + literal.encode() + raw[node.end_col_offset or 0:]).decode()


def _axes_node(tree: ast.Module) -> ast.List | None:
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "AXES" for t in targets) and isinstance(stmt.value, ast.List):
            return stmt.value
    return None


def _dict_str(node: ast.Dict, key: str) -> ast.Constant | None:
    for k, v in zip(node.keys, node.values):
        if isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Constant) and isinstance(v.value, str):
            return v
    return None


def _add_axis(tree: ast.Module, lines: list[str], rng: random.Random, _: str) -> Edit | None:
    axes = _axes_node(tree)
    if axes is None:
        return None
    names = {c.value for d in axes.elts if isinstance(d, ast.Dict) and (c := _dict_str(d, "name"))}
    fresh = [b for b in B.BEHAVIOURS if b["name"] not in names]
    if not fresh:
        return None
    axis = rng.choice(fresh)
    header = lines[axes.lineno - 1]
    base = " " * (len(header) - len(header.lstrip()))
    first = axes.elts[0] if axes.elts else None
    indent = " " * first.col_offset if first is not None and first.lineno > axes.lineno else base + "    "
    body = [f"{indent}{{"] + [f"{indent}    {json.dumps(k)}: {json.dumps(v)}," for k, v in axis.items()] + [f"{indent}}},"]
    note = f"add the '{axis['name']}' axis"
    if header.rstrip().endswith("["):
        return Edit(axes.lineno - 1, axes.lineno, [header, *body], note)
    if axes.elts or axes.lineno != axes.end_lineno:
        return None
    raw = header.encode()
    opening, closing = raw[: axes.col_offset + 1].decode(), raw[(axes.end_col_offset or 0) - 1:].decode()
    return Edit(axes.lineno - 1, axes.lineno, [opening, *body, base + closing], note)


def _extend_literal(line: str, node: ast.Constant, addition: str) -> str | None:
    """`line` with " addition" inserted before the closing quote of the string literal `node` ends."""
    raw = line.encode()
    end = node.end_col_offset or 0
    triple = raw[end - 3:end] in (b'"""', b"'''")
    quote = raw[end - 1:end].decode()
    if quote not in ("'", '"'):
        return None
    text = addition if triple else addition.replace("\\", "\\\\").replace(quote, "\\" + quote)
    cut = end - 3 if triple else end - 1
    return (raw[:cut] + f" {text}".encode() + raw[cut:]).decode()


def _playbook(tree: ast.Module, lines: list[str], rng: random.Random, _: str) -> Edit | None:
    axes = _axes_node(tree)
    ons = [v for d in (axes.elts if axes else []) if isinstance(d, ast.Dict) and (v := _dict_str(d, "on"))]
    if not ons:
        return None
    node = rng.choice(ons)
    extra = [a for a in B.PLAYBOOK_ADDITIONS if a not in node.value]
    if not extra:
        return None
    addition = rng.choice(extra)
    new = _extend_literal(lines[node.end_lineno - 1], node, addition)
    if new is None:
        return None
    return Edit(node.end_lineno - 1, node.end_lineno, [new], f"add cue words to a playbook ({addition})")


def _numbers(tree: ast.Module) -> list[ast.Constant]:
    found: list[ast.Constant] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            found += [n for n in ast.walk(stmt.value) if isinstance(n, ast.Constant) and type(n.value) in (int, float)
                      and n.lineno == n.end_lineno]
    return found


def _number(tree: ast.Module, lines: list[str], rng: random.Random, _: str) -> Edit | None:
    numbers = _numbers(tree)
    if not numbers:
        return None
    node = rng.choice(numbers)
    old = node.value
    if isinstance(old, float):
        new: float | int = round(min(1.0, max(0.05, old + rng.uniform(-0.2, 0.2))), 2) if 0 <= old <= 1 \
            else round(old * rng.uniform(0.7, 1.3), 2)
    else:
        new = max(1 if old >= 1 else 0, old + rng.choice((-1, 1)))
    if new == old:
        new = old + 1 if isinstance(old, int) else round(old + 0.1, 2)
    line = lines[node.lineno - 1]
    return Edit(node.lineno - 1, node.lineno, [_splice(line, node, repr(new))], f"change {old} to {new}")


def _prompt_strings(tree: ast.Module, population: bool) -> list[ast.Constant]:
    found = [s.value for s in tree.body if isinstance(s, (ast.Assign, ast.AnnAssign)) and isinstance(s.value, ast.Constant)
             and isinstance(s.value.value, str) and len(s.value.value) > 30]
    preferred = [n for n in found if ("JSON" in n.value) == population]
    return preferred or found


def _sentence(rng: random.Random) -> str:
    roll = rng.random()
    bank = B.HELPFUL_SENTENCES if roll < 0.75 else B.NEUTRAL_SENTENCES if roll < 0.9 else B.UNHELPFUL_SENTENCES
    return rng.choice(bank)


def _append(tree: ast.Module, lines: list[str], rng: random.Random, kind: str) -> Edit | None:
    strings = _prompt_strings(tree, kind.endswith("population"))
    if not strings:
        return None
    node = rng.choice(strings)
    sentence = rng.choice(B.NEUTRAL_SENTENCES + B.UNHELPFUL_SENTENCES) if kind.startswith(WEAK) else _sentence(rng)
    new = None if sentence in node.value else _extend_literal(lines[node.end_lineno - 1], node, sentence)
    if new is None:
        return None
    return Edit(node.end_lineno - 1, node.end_lineno, [new], f"append to the {kind.removeprefix(WEAK + ' ')} prompt: {sentence}")


_OPS: dict[str, Callable[[ast.Module, list[str], random.Random, str], Edit | None]] = {
    "add_axis": _add_axis, "playbook": _playbook, "number": _number, "population": _append, "expansion": _append,
    "weak population": _append, "weak expansion": _append,
}
_STRONG_OPS = [kind for kind in _OPS if not kind.startswith(WEAK)]


def apply_blocks(parent: str, blocks: list[tuple[str, str]]) -> str:
    """Apply SEARCH/REPLACE pairs in order (exact match), as the engine's diff step does."""
    text = parent
    for search, replace in blocks:
        if search not in text:
            raise ValueError(f"SEARCH text not found: {search[:60]!r}")
        text = text.replace(search, replace, 1)
    return text


def _blocks(lines: list[str], edits: list[Edit]) -> list[tuple[str, str]] | None:
    parent = "\n".join(lines)
    blocks: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for edit in sorted(edits, key=lambda e: e.start):
        start, end, new = edit.start, edit.end, list(edit.new)
        while parent.count("\n".join(lines[start:end])) > 1 and end < len(lines):
            new.append(lines[end])
            end += 1
        if any(a < end and start < b for a, b in taken):
            return None
        taken.append((start, end))
        blocks.append(("\n".join(lines[start:end]), "\n".join(new)))
    return blocks


def _valid(child: str) -> bool:
    try:
        tree = pyast.parse(child)
    except SyntaxError:
        return False
    has_generate = any(isinstance(s, ast.FunctionDef) and s.name == "generate" for s in tree.body)
    return has_generate and _axes_node(tree) is not None


def _angle(prompt: str) -> str | None:
    low = prompt.lower()
    named = re.search(r"(?:angle|mutation)[^\n]*?:\s*\W*(" + "|".join(ANGLES) + ")", low)
    if named:
        return named.group(1)
    positions = [(low.rfind(a), a) for a in ANGLES if a in low]
    return max(positions)[1] if positions else None


def mutate(parent: str, angle: str | None, rng: random.Random) -> tuple[list[tuple[str, str]], list[str]] | None:
    """Blocks that change `parent` and still give a valid program, with a note per edit."""
    tree = pyast.parse(parent)
    lines = parent.split("\n")
    if angle == WEAK:
        order, wanted = rng.sample(["number", "number", "weak population", "weak expansion"], k=4), 1
    else:
        weights = _WEIGHTS[None if angle == "new approach" else angle]
        kinds = list(weights)
        wanted = rng.randint(2, 3) if angle == "new approach" else 1
        order = rng.choices(kinds, weights=[weights[k] for k in kinds], k=len(kinds) * 2) + list(_STRONG_OPS)
    edits: list[Edit] = []
    for kind in order:
        if len(edits) == wanted:
            break
        edit = _OPS[kind](tree, lines, rng, kind)
        if edit is None or any(e.start < edit.end and edit.start < e.end for e in edits):
            continue
        blocks = _blocks(lines, [*edits, edit])
        if blocks is not None and _valid(apply_blocks(parent, blocks)):
            edits.append(edit)
    blocks = _blocks(lines, edits) if edits else None
    return (blocks, [e.note for e in edits]) if blocks else None


def _parent(messages: list[dict[str, Any]]) -> str | None:
    for role in ("user", "system"):
        for message in messages:
            if message.get("role") == role:
                match = re.search(r"```python\n(.*?)```", content_of(message), re.DOTALL)
                if match:
                    return match.group(1)
    return None


def respond_weak_mutator(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    """A lower-quality mutator for tests of model choice (see WEAK)."""
    return respond_mutator(messages, temperature, seed, weak=True)


def respond_mutator(messages: list[dict[str, Any]], temperature: float | None, seed: int | None,
                    weak: bool = False) -> str:
    parent = _parent(messages)
    if parent is None:
        return "I could not find the parent program (a ```python fenced block) in the prompt, so I propose no change."
    try:
        angle = WEAK if weak else _angle(" ".join(content_of(m) for m in messages if m.get("role") == "user"))
        result = mutate(parent, angle, request_rng(messages, temperature, seed))
    except SyntaxError as exc:
        return f"The parent program does not parse ({exc.msg} at line {exc.lineno}), so I propose no change."
    if result is None:
        return "No edit of the kinds I make applies to this program, so I propose no change."
    blocks, notes = result
    text = "Changes: " + "; ".join(notes) + ".\n\n"
    return text + "\n\n".join(f"<<<<<<< SEARCH\n{s}\n=======\n{r}\n>>>>>>> REPLACE" for s, r in blocks)
