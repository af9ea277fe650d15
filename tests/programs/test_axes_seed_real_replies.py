"""axes_seed in the sandbox, answered the way a small real model answers: it repairs what it can."""

from __future__ import annotations

import json

import pytest

from evopersona.config import SandboxConfig
from evopersona.resources import programs_dir
from evopersona.sandbox.bridge import BridgeRequest
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

PERSONA = {"name": "Dana Ruiz", "bio": "A nurse on night shifts.", "axis_placement": {"terse": "true"}}
POPULATION_REPLIES = {
    "fenced, wrapped in an object, trailing comma": "Sure! Here you go:\n```json\n{\"personas\": [" + json.dumps(PERSONA) + ",]}\n```",
    "loose objects in prose": "First: " + json.dumps(PERSONA) + "\nSecond: {\"description\": \"A student.\", \"axes\": [\"skeptical\"]}",
    "no JSON at all": "Persona 1 is a nurse. Persona 2 is a student.",
}


def handler_for(population_reply: str, asked: list[str]):  # type: ignore[no-untyped-def]
    def handle(requests: list[BridgeRequest]) -> list[str]:
        answers = []
        for r in requests:
            prompt = r.messages[-1].content
            asked.append(prompt)
            answers.append(population_reply if "JSON array" in prompt else "")  # empty policies, too
        return answers
    return handle


@pytest.mark.parametrize("kind", sorted(POPULATION_REPLIES))
def test_messy_population_replies_still_give_n_personas(kind: str) -> None:
    asked: list[str] = []
    task = load_domain("retail")[5].generator_view()
    with SandboxPool(SandboxConfig(pool_size=1), handler_for(POPULATION_REPLIES[kind], asked)) as pool:
        output = pool.run((programs_dir() / "axes_seed.py").read_text(), task, 4, 0)
    assert len(output.records) == 4 and len({r.persona_id for r in output.records}) == 4
    assert all(r.policy.strip() for r in output.records)  # an empty expansion falls back to the description
    population_asks = [p for p in asked if "JSON array" in p]
    assert len(population_asks) == 2  # short of 4 after the first reply: asked once more, for the missing ones
    if kind != "no JSON at all":
        assert output.records[0].description == "A nurse on night shifts."
        assert output.records[0].axis_placement["terse"] is True
    placements = {tuple(sorted(r.axis_placement.items())) for r in output.records}
    if kind == "no JSON at all":
        assert len(placements) == 4  # the program places them all, on distinct axis combinations
