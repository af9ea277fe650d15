"""direct_prompt in the sandbox, answered the way real models answer: it repairs what it can read
and fails with the reason when the replies hold fewer personas than asked for."""

from __future__ import annotations

import json

import pytest

from evopersona.config import SandboxConfig
from evopersona.generator import ProgramFailed
from evopersona.resources import programs_dir
from evopersona.sandbox.bridge import BridgeRequest
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

NURSE = {"name": "Dana Ruiz", "bio": "A nurse on night shifts.", "roleplay_policy": "Short messages typed on a phone."}
STUDENT = {"persona_id": "sam", "description": "A student.", "policy": "Asks why every step is needed."}
PROSE = ("Here are the personas:\n1. **Dana**: A nurse on night shifts who types on her phone between rounds. "
         "She writes short messages.\n2. **Sam**: A student who doubts every answer and asks why each step is needed.\n")
REPLIES = {
    "fenced, wrapped in an object, other key names, trailing comma":
        "Sure!\n```json\n{\"personas\": [" + json.dumps(NURSE) + ", " + json.dumps(STUDENT) + ",]}\n```",
    "a numbered list instead of JSON": PROSE,
    "too many personas": json.dumps([STUDENT, NURSE, STUDENT]),
}


def run(replies: list[str], n: int, asked: list[str]):  # type: ignore[no-untyped-def]
    def handle(requests: list[BridgeRequest]) -> list[str]:
        answers = []
        for r in requests:
            asked.append(r.messages[-1].content)
            answers.append(replies[min(len(asked), len(replies)) - 1])
        return answers

    task = load_domain("retail")[5].generator_view()
    with SandboxPool(SandboxConfig(pool_size=1), handle) as pool:
        return pool.run((programs_dir() / "direct_prompt.py").read_text(), task, n, 0)


@pytest.mark.parametrize("kind", sorted(REPLIES))
def test_messy_replies_are_repaired(kind: str) -> None:
    asked: list[str] = []
    output = run([REPLIES[kind]], 2, asked)
    assert len(asked) == 1 and len(output.records) == 2
    assert len({r.persona_id for r in output.records}) == 2
    assert all(r.description and r.policy for r in output.records)
    if kind.startswith("fenced"):
        assert output.records[0].persona_id == "1_dana_ruiz"
        assert (output.records[0].description, output.records[0].policy) == (NURSE["bio"], NURSE["roleplay_policy"])
    if kind.startswith("a numbered"):
        assert output.records[1].persona_id == "2_sam" and output.records[1].description.startswith("A student who doubts")


def test_too_few_are_asked_for_once_more() -> None:
    asked: list[str] = []
    output = run([json.dumps(STUDENT), json.dumps([NURSE, NURSE])], 3, asked)
    assert len(asked) == 2 and "Create 2 personas" in asked[1]
    assert [r.description for r in output.records] == ["A student.", NURSE["bio"], NURSE["bio"]]


def test_no_personas_fail_with_the_reason() -> None:
    asked: list[str] = []
    with pytest.raises(ProgramFailed, match="asked for 2 personas, 2 replies gave 0.*I cannot help"):
        run(["I cannot help with that."], 2, asked)
    assert len(asked) == 2
