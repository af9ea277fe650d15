"""Applying mutator answers: SEARCH/REPLACE blocks, rewrites, and every rejection reason."""

from __future__ import annotations

import difflib
import random
import re

import numpy as np
import pytest

from evopersona.evolve.diff import (
    ChildChecks,
    MutationRejected,
    NearDuplicateIndex,
    SearchReplace,
    apply_blocks,
    apply_mutation,
    extract_rewrite,
    parse_blocks,
)
from evopersona.store import code_hash, normalise_code

PARENT = '''"""Seed generator."""
AXES = [
    {"name": "terse", "definition": "short turns", "on": "write fragments", "off": "write full sentences"},
]


def generate(task, n, llm, rng):
    personas = []
    for i in range(n):
        personas.append({"persona_id": f"p{i}", "description": "a customer",
                         "axis_placement": {"terse": rng.random() < 0.5}, "policy": "be yourself"})
    return personas
'''

CHECKS = ChildChecks(max_code_length=65536)


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_single_block_replaces_exact_text() -> None:
    answer = "Make it lowercase.\n" + block('"policy": "be yourself"', '"policy": "type in lowercase"')
    result = apply_mutation(PARENT, answer, CHECKS)
    assert result.kind == "diff" and result.blocks_applied == 1
    assert '"policy": "type in lowercase"' in result.code and "be yourself" not in result.code
    assert result.code_hash == code_hash(result.code)


def test_blocks_apply_in_order_and_may_delete_lines() -> None:
    answer = (block("    personas = []", "    personas = []\n    seen = set()")
              + "\nthen\n" + block("    seen = set()\n", ""))
    blocks = parse_blocks(answer)
    assert blocks == [SearchReplace("    personas = []", "    personas = []\n    seen = set()"),
                      SearchReplace("    seen = set()\n", "")]
    assert apply_blocks(PARENT, blocks) == PARENT


def test_search_matches_when_only_trailing_whitespace_differs() -> None:
    parent = PARENT.replace("    personas = []\n", "    personas = []   \n")
    child = apply_blocks(parent, [SearchReplace("    personas = []\n    for i in range(n):",
                                                "    personas = []\n    for i in range(n * 1):")])
    assert "    for i in range(n * 1):\n" in child
    assert child.count("\n") == parent.count("\n")


def test_search_text_missing_from_parent_is_rejected_with_its_block_number() -> None:
    answer = block("AXES = [", "AXES = [  # edited") + block("def nothing_here():", "pass")
    with pytest.raises(MutationRejected) as info:
        apply_mutation(PARENT, answer, CHECKS)
    assert info.value.kind == "not_applied"
    assert info.value.reason == "block 2: SEARCH text not found in the parent (first line: 'def nothing_here():')"


def test_empty_search_and_unterminated_blocks_are_rejected() -> None:
    with pytest.raises(MutationRejected, match="block 1: empty SEARCH"):
        apply_mutation(PARENT, "<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n", CHECKS)
    with pytest.raises(MutationRejected, match="2 SEARCH markers but 1 complete") as info:
        apply_mutation(PARENT, block("AXES = [", "AXES = [") + "<<<<<<< SEARCH\nAXES\n=======\n", CHECKS)
    assert info.value.kind == "unparseable"


def test_full_rewrite_in_a_python_fence() -> None:
    rewritten = PARENT.replace("be yourself", "answer one detail at a time")
    answer = f"A new approach.\n```python\n{rewritten}```\nDone."
    assert extract_rewrite(answer) == rewritten
    result = apply_mutation(PARENT, answer, CHECKS)
    assert result.kind == "rewrite" and result.code == rewritten and result.blocks_applied == 0


def test_answer_without_blocks_or_generate_is_unparseable() -> None:
    with pytest.raises(MutationRejected, match="no SEARCH/REPLACE block") as info:
        apply_mutation(PARENT, "```python\nprint('hello')\n```", CHECKS)
    assert info.value.kind == "unparseable"


def test_syntax_error_is_rejected_with_its_line() -> None:
    with pytest.raises(MutationRejected) as info:
        apply_mutation(PARENT, block("    return personas", "    return personas)"), CHECKS)
    assert info.value.kind == "syntax" and info.value.reason == "line 12: unmatched ')'"


@pytest.mark.parametrize(("search", "replace", "reason"), [
    ("AXES = [", "AXIS = [", "no top-level AXES assignment"),
    ("def generate(task, n, llm, rng):", "def make(task, n, llm, rng):", "no top-level def generate"),
    ("def generate(task, n, llm, rng):", "def generate(task, n):", "generate takes 2 positional parameters"),
])
def test_contract_breaks_are_rejected(search: str, replace: str, reason: str) -> None:
    with pytest.raises(MutationRejected, match=reason) as info:
        apply_mutation(PARENT, block(search, replace), CHECKS)
    assert info.value.kind == "contract"


def test_comment_only_change_is_no_change() -> None:
    with pytest.raises(MutationRejected) as info:
        apply_mutation(PARENT, block('"""Seed generator."""', '"""Better generator."""\n# tuned'), CHECKS)
    assert info.value.kind == "no_change"


def test_known_hash_is_a_duplicate() -> None:
    sibling = PARENT.replace("be yourself", "push back once")
    checks = ChildChecks(max_code_length=65536, known_hashes={code_hash(sibling)})
    with pytest.raises(MutationRejected, match="same normalised code") as info:
        apply_mutation(PARENT, block("be yourself", "push back once"), checks)
    assert info.value.kind == "duplicate"


def test_too_long_child_is_rejected() -> None:
    with pytest.raises(MutationRejected, match=r"> max_code_length 1000") as info:
        apply_mutation(PARENT, block("AXES = [", "PAD = '" + "x" * 1200 + "'\nAXES = ["), ChildChecks(max_code_length=1000))
    assert info.value.kind == "too_long"


def test_near_duplicate_of_a_long_program_is_rejected_but_real_changes_pass() -> None:
    long_parent = PARENT + "".join(f"\n\ndef helper_{i}(x):\n    return x + {i}\n" for i in range(60))
    index = NearDuplicateIndex()
    index.add("7", long_parent)
    assert len(index) == 1
    checks = ChildChecks(max_code_length=65536, near_duplicates=index)
    with pytest.raises(MutationRejected) as info:
        apply_mutation(long_parent, block("    return x + 59", "    return x + 60"), checks)
    assert info.value.kind == "near_duplicate" and info.value.reason.endswith("similar to program 7")
    changed = apply_mutation(long_parent, block("def generate(task, n, llm, rng):\n    personas = []",
                                                "def generate(task, n, llm, rng):\n    personas = []\n"
                                                "    styles = ['terse', 'formal', 'vague', 'bursty']\n"
                                                "    rng.shuffle(styles)\n    personas.extend([])"), checks)
    assert changed.kind == "diff"


def test_blocks_with_windows_line_endings_parse() -> None:
    answer = "<<<<<<< SEARCH\r\nAXES = [\r\n=======\r\nAXES = [  # more\r\n>>>>>>> REPLACE\r\n"
    assert parse_blocks(answer) == [SearchReplace("AXES = [", "AXES = [  # more")]


def test_markers_as_small_models_write_them_still_parse() -> None:
    answer = ("```\n  <<<<<< search\n" + '"policy": "be yourself"' + "\n  ========\n"
              + '"policy": "type in lowercase"' + "\n  >>>>>>>> Replace\n```\n")
    result = apply_mutation(PARENT, answer, CHECKS)
    assert result.blocks_applied == 1 and '"policy": "type in lowercase"' in result.code


def test_untagged_fence_rewrite_and_prose_only_reply() -> None:
    rewrite = PARENT.replace("be yourself", "be brief")
    assert apply_mutation(PARENT, f"Here is the new program:\n```\n{rewrite}```\n", CHECKS).kind == "rewrite"
    with pytest.raises(MutationRejected) as rejected:
        apply_mutation(PARENT, "To improve the personas, make them more human and varied.", CHECKS)
    assert rejected.value.kind == "unparseable" and "no SEARCH/REPLACE block" in rejected.value.reason


def test_near_duplicate_index_finds_what_comparing_with_every_program_finds() -> None:
    rng = random.Random(4)
    base = [f"v{i} = {rng.randrange(100)}\n" for i in range(40)]
    index, known, found = NearDuplicateIndex(threshold=0.95), [], []
    for step in range(70):
        lines = list(rng.choice(known)[1].splitlines(keepends=True)) if known else list(base)
        for _ in range(rng.choice([1, 1, 2, 6])):
            lines[rng.randrange(len(lines))] = f"w{rng.randrange(9)} = {rng.randrange(100)}\n"
        code = "".join(lines)
        tokens = re.findall(r"\w+|[^\w\s]", normalise_code(code))
        expected = None
        for key, other in known:
            ratio = difflib.SequenceMatcher(None, re.findall(r"\w+|[^\w\s]", normalise_code(other)), tokens,
                                            autojunk=False).ratio()
            if ratio >= 0.95:
                expected = (key, ratio)
                break
        assert index.closest_above_threshold(code) == expected
        signature = index._signature(code)  # tokens and bucket counts built statement by statement
        assert signature[0] == tokens
        assert signature[1].tolist() == np.bincount([hash(t) % index.BUCKETS for t in tokens], minlength=index.BUCKETS).tolist()
        found.append(expected is not None)
        index.add(str(step), code)
        known.append((str(step), code))
    assert 5 < sum(found) < 65  # both outcomes well represented
