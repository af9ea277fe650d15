"""Normalised code: comments, docstrings and layout do not change a program's identity."""

from __future__ import annotations

from evopersona.store import code_hash, normalise_code

CODE = '''"""Module docstring."""
AXES = []  # none yet


def generate(task, n, llm, rng):
    """Make personas."""
    return [ ]
'''


def test_comments_docstrings_and_layout_do_not_change_the_hash() -> None:
    relaid = "AXES=[]\ndef generate(task,n,llm,rng):\n    return []\n"
    assert normalise_code(CODE) == "AXES = []\n\ndef generate(task, n, llm, rng):\n    return []"
    assert code_hash(CODE) == code_hash(relaid)


def test_a_behaviour_change_changes_the_hash() -> None:
    assert code_hash(CODE) != code_hash(CODE.replace("return [ ]", "return [None] * n"))


def test_a_function_with_only_a_docstring_keeps_a_valid_body() -> None:
    assert normalise_code('def f():\n    """Only a docstring."""\n') == "def f():\n    pass"


def test_unparseable_code_hashes_by_its_non_blank_lines() -> None:
    assert normalise_code("def broken(:\n\n    x = 1   \n") == "def broken(:\n    x = 1"
    assert code_hash("def broken(:\n    x = 1\n") == code_hash("def broken(:\n\n    x = 1   \n")
