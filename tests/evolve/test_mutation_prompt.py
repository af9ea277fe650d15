"""The mutator prompt: parent first, inspirations after, a seeded angle, feedback included."""

from __future__ import annotations

import random
import re

import pytest

from evopersona.evolve.diff import ChildChecks, apply_mutation
from evopersona.evolve.mutation_prompt import (
    MAX_REFLECTION_CHARS,
    MUTATION_ANGLES,
    SYSTEM_MESSAGE,
    PromptProgram,
    build_mutation_prompt,
)
from evopersona.store import Objectives

PARENT_CODE = "AXES = []\n\n\ndef generate(task, n, llm, rng):\n    return []\n"
OBJ = Objectives(human_likeness=0.61, coverage=0.43, task_preservation=1.0, score=0.52, feasible=True)
PARENT = PromptProgram(12, PARENT_CODE, OBJ)
INSPIRATIONS = [
    PromptProgram(3, "AXES = [1]\n\n\ndef generate(task, n, llm, rng):\n    return [1]\n", OBJ, "top of island 0"),
    PromptProgram(8, "AXES = [2]\n\n\ndef generate(task, n, llm, rng):\n    return [2]\n",
                  Objectives(human_likeness=0.9, coverage=0.8, task_preservation=0.4, score=0.85, feasible=False),
                  "diverse"),
]
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def build(seed: int = 0, **kwargs: object):
    return build_mutation_prompt(PARENT, reflection=kwargs.pop("reflection", "terse users scored well"),
                                 inspirations=kwargs.pop("inspirations", INSPIRATIONS),
                                 rng=random.Random(seed), **kwargs)


def test_parent_is_the_first_python_block_and_inspirations_follow() -> None:
    prompt = build()
    system, user = prompt.messages
    assert (system["role"], user["role"]) == ("system", "user")
    whole = system["content"] + "\n" + user["content"]
    assert FENCE.findall(whole) == [PARENT_CODE, INSPIRATIONS[0].code, INSPIRATIONS[1].code]
    assert "```python" not in SYSTEM_MESSAGE


def test_scores_reflection_and_labels_are_shown() -> None:
    user = build().messages[1]["content"]
    assert "human_likeness 0.610, coverage 0.430, task_preservation 1.000 (feasible), score 0.520" in user
    assert "terse users scored well" in user
    assert "### Program 3 (top of island 0)" in user
    assert "### Program 8 (diverse): " in user and "INFEASIBLE" in user


def test_angle_comes_from_the_seeded_rng_and_all_five_occur() -> None:
    assert build(seed=5).angle == build(seed=5).angle
    angles = {build(seed=s).angle for s in range(60)}
    assert angles == set(MUTATION_ANGLES) and len(angles) == 5
    prompt = build(seed=1)
    assert f"## This mutation: {prompt.angle}\n\n{MUTATION_ANGLES[prompt.angle]}" in prompt.messages[1]["content"]


def test_forced_angle_and_unknown_angle() -> None:
    assert build(angle="structural change").angle == "structural change"
    with pytest.raises(ValueError, match="unknown mutation angle 'random'"):
        build(angle="random")


def test_long_reflection_is_truncated_and_missing_parts_are_said_plainly() -> None:
    user = build(reflection="x" * (MAX_REFLECTION_CHARS + 500), inspirations=[]).messages[1]["content"]
    assert "x" * MAX_REFLECTION_CHARS in user and "x" * (MAX_REFLECTION_CHARS + 1) not in user
    assert "inspiration" not in user.lower()
    failed = build_mutation_prompt(PromptProgram(1, PARENT_CODE, None), reflection=None, inspirations=[],
                                   rng=random.Random(0)).messages[1]["content"]
    assert "not scored (its evaluation failed)" in failed and "none available" in failed


def test_previous_rejection_is_fed_back() -> None:
    user = build(previous_rejection="block 1: SEARCH text not found in the parent").messages[1]["content"]
    assert "## Your previous answer was rejected\n\nblock 1: SEARCH text not found in the parent" in user


def test_a_block_copied_from_the_first_python_block_applies_to_the_parent() -> None:
    parent_in_prompt = FENCE.findall(build().messages[1]["content"])[0]
    line = parent_in_prompt.splitlines()[-1]
    answer = f"<<<<<<< SEARCH\n{line}\n=======\n    return [{{}}] * n\n>>>>>>> REPLACE\n"
    child = apply_mutation(PARENT_CODE, answer, ChildChecks(max_code_length=65536))
    assert child.code.endswith("    return [{}] * n\n")


def test_inspirations_carry_their_scores_and_reflections() -> None:
    reflective = [PromptProgram(3, INSPIRATIONS[0].code, OBJ, "top", reflection="short angry turns won " * 200)]
    user = build(inspirations=reflective).messages[1]["content"]
    assert "### Program 3 (top): human_likeness 0.610" in user
    assert "Reflection on program 3: short angry turns won" in user
    assert user.count("short angry turns won") < 200, "an inspiration's reflection is shortened"
