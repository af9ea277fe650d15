"""check_preservation keeps the judge's "unparseable" flag when it merges the rules' and the judge's verdicts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from evopersona.evaluation.pipeline import check_preservation, judge_unparseable
from evopersona.generator import PersonaRecord
from evopersona.tasks import Task

TASK = Task(id="t1", domain="retail", reason_for_call="Return a keyboard.", known_info="Email a@b.com.")


@dataclass
class Reply:
    text: str


class ScriptedJudge:
    """Answers each policy's judge call with the reply scripted for that policy."""

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies

    async def acomplete(self, role: str, messages: list[dict[str, str]], **kwargs: Any) -> Reply:
        assert role == "judge"
        policy = messages[-1]["content"].split("<policy>\n")[1].split("\n</policy>")[0]
        return Reply(self.replies[policy])


def record(i: int, policy: str) -> PersonaRecord:
    return PersonaRecord(persona_id=f"p{i}", description="A customer.", axis_placement={}, policy=policy)


def test_unparseable_judge_replies_are_flagged_and_counted() -> None:
    replies = {"Short messages.": "Fine.\nVERDICT: PASS", "Calm tone.": "I think so, maybe?",
               "Type the email with a typo.": "VERDICT: FAIL"}
    records = [record(i, p) for i, p in enumerate(replies)] + [record(9, "")]
    verdicts = asyncio.run(check_preservation(ScriptedJudge(replies), records, TASK, True, seed=0))
    assert [v.judge_unparseable for v in verdicts] == [False, True, False, False]
    assert [v.passed for v in verdicts] == [True, True, False, True]  # unparseable: the rules alone decide
    assert judge_unparseable([verdicts, verdicts[1:2]]) == 2
