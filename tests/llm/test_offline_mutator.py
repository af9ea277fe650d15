"""The offline mutator's diffs apply to every seed program and tend to add human-like cues."""

from __future__ import annotations

import random
import re

import pytest

from evopersona.evolve.diff import ChildChecks, apply_mutation
from evopersona.evolve.mutation_prompt import MUTATION_ANGLES, PromptProgram, build_mutation_prompt
from evopersona.llm.offline import respond
from evopersona.llm.offline.cues import CUES
from evopersona.resources import programs_dir

FORBIDDEN = re.compile(r"\b(mistype|falsif\w*|forget|withhold)\b", re.IGNORECASE)


def _mutate(code: str, seed: int, angle: str | None = None) -> tuple[str, str]:
    prompt = build_mutation_prompt(PromptProgram(1, code, None), reflection=None, inspirations=[],
                                   rng=random.Random(seed), angle=angle)
    answer = respond("mutator", prompt.messages, 1.0, seed)
    return answer, apply_mutation(code, answer, ChildChecks(max_code_length=65536, known_hashes=set())).code


def _cue_hits(code: str) -> int:
    return sum(len(c.pattern.findall(code)) for c in CUES if c.name != "formal")


@pytest.mark.parametrize("program", ["axes_seed.py", "compositional.py", "direct_prompt.py", "baseline.py"])
def test_diffs_apply_and_keep_the_contract_for_every_angle(program: str) -> None:
    code = (programs_dir() / program).read_text()
    for seed, angle in enumerate(list(MUTATION_ANGLES) * 2):
        answer, child = _mutate(code, seed, angle)
        assert "<<<<<<< SEARCH" in answer and child != code
        added = "\n".join(set(child.splitlines()) - set(code.splitlines()))
        assert not FORBIDDEN.search(added)


def test_same_prompt_same_diff() -> None:
    code = (programs_dir() / "axes_seed.py").read_text()
    assert _mutate(code, 3)[0] == _mutate(code, 3)[0]


def test_repeated_mutation_tends_to_add_human_like_cues() -> None:
    code = (programs_dir() / "axes_seed.py").read_text()
    start = _cue_hits(code)
    for seed in range(12):
        code = _mutate(code, seed)[1]
    assert _cue_hits(code) >= start + 8
