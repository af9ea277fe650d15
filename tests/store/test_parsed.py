"""Programs parsed per top-level statement: the same statements, normalised text and syntax errors as
parsing the whole program, with a child's unchanged statements reused from its parent."""

from __future__ import annotations

import ast
import random
import re

import pytest

from evopersona.evolve.diff import check_contract
from evopersona.resources import programs_dir
from evopersona.store.parsed import normalised_pieces, parse_program, strip_docstrings

# edits that continue, indent, break or document the statements around them
SNIPPETS = ['x = 1\n', '    y = 2\n', 'else:\n    pass\n', '"""doc"""\n', '# comment\n', '@decorator\n',
            'def h():\n    """d"""\n    return 1\n', 'class K:\n    "doc"\n    z = 1\n', 'a = (1,\n', ')\n',
            's = """\nmulti\n"""\n', 'if a:\n', '\n', 'AXES = [1]\n', 'def generate(task, n, llm, rng):\n    return []\n',
            'except Exception:\n    pass\n', 'x = 1; y = 2\n', '\\\n', "'''\n", '\tq = 3\n', 'async def g():\n    await x\n']
EXTRA = ['"""module doc"""\n"second string"\nx = 1\n', '"only a docstring"\n', '', 'x = 1',
         '@d\n@e\ndef f():\n    pass\n\n\nclass A:\n    pass\n', 'x = 1\r\ny = 2\r\n']


def _whole(code: str) -> tuple[object, ...]:
    try:
        tree = strip_docstrings(ast.parse(code))
    except SyntaxError as exc:
        return ("syntax", exc.lineno, exc.msg)
    assert isinstance(tree, ast.Module)
    return (ast.unparse(tree), check_contract(tree))


def _by_units(code: str, base: str | None) -> tuple[object, ...]:
    try:
        parsed = parse_program(code, base)
    except SyntaxError as exc:
        return ("syntax", exc.lineno, exc.msg)
    pieces = normalised_pieces(code, base)
    if pieces is not None:  # the normalised text is its pieces with line breaks between them
        assert re.fullmatch("\n{1,2}".join(map(re.escape, pieces)), parsed.normalised), code
    else:
        assert "\r" in code or _second_string(parsed.module), code
    return (parsed.normalised, check_contract(parsed.module))


def _second_string(module: ast.Module) -> bool:
    strings = [isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
               for s in module.body[:2]]
    return strings == [True, True]


def _edit(parent: str, rng: random.Random) -> str:
    lines = parent.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(lines))
        action = rng.random()
        if action < 0.4 or not lines:
            lines.insert(at, rng.choice(SNIPPETS))
        elif action < 0.7:
            del lines[min(at, len(lines) - 1)]
        else:
            line = min(at, len(lines) - 1)
            lines[line] = rng.choice(["    ", "", "# ", "x"]) + lines[line]
    child = "".join(lines)
    return child.rstrip("\n") if rng.random() < 0.1 else child


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # edits write literals like 1x
def test_units_give_what_parsing_the_whole_program_gives_for_random_edits() -> None:
    rng = random.Random(3)
    parents = [path.read_text(encoding="utf-8") for path in sorted(programs_dir().glob("*.py"))] + EXTRA
    for parent in parents:
        assert _by_units(parent, None) == _whole(parent)
        for _ in range(120):
            child = _edit(parent, rng)
            assert _by_units(child, parent) == _whole(child), child


def test_a_child_reuses_the_statements_its_parent_left_unchanged() -> None:
    parent = (programs_dir() / "axes_seed.py").read_text(encoding="utf-8")
    child = parent + "\nEXTRA = [1, 2, 3]\n"
    before, after = parse_program(parent).module.body, parse_program(child, base=parent).module.body
    assert len(after) == len(before) + 1
    assert all(a is b for a, b in zip(before, after, strict=False))
    edited = parent.replace("def generate(", "def generate_unused(x):\n    return x\n\n\ndef generate(", 1)
    reparsed = parse_program(edited, base=parent).module.body
    assert reparsed[0] is before[0] and reparsed[-1] is before[-1]
