import asyncio
import random

import pytest

from evopersona.errors import WorkFailed
from evopersona.fitness.judges import (
    calibrate,
    judge_policies,
    judge_policy,
    pairwise_calibration,
    pairwise_indistinguishability,
    parse_verdict,
    read_verdict,
    rubric_calibration,
    rubric_score,
)
from evopersona.fitness.reflection import (
    PersonaRow,
    SampleDialogue,
    build_reflection_prompt,
    reflect,
)
from evopersona.tasks import Task

TASK = Task(id="t1", domain="retail", reason_for_call="Return a keyboard.", known_info="Email a@b.com.")


class Reply:
    def __init__(self, text: str) -> None:
        self.text = text


class LocalJudge:
    """A judge that prefers the conversation whose user turns are shorter; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict], dict]] = []

    async def acomplete(self, role, messages, **kw):
        self.calls.append((role, messages, kw))
        prompt = messages[-1]["content"]
        if "PASS|FAIL" in prompt:
            return Reply("VERDICT: FAIL" if "typo" in prompt else "Fine.\nVERDICT: PASS")
        if "YES|NO" in prompt:
            return Reply("Looks real.\nVERDICT: YES" if len(prompt) < 400 else "Scripted.\nVERDICT: NO")
        if "Conversation A" in prompt:
            a, b = prompt.split("Conversation B:")
            la, lb = len(a.split("Conversation A:")[1]), len(b.split("Which USER")[0])
            return Reply("VERDICT: TIE" if la == lb else f"VERDICT: {'A' if la < lb else 'B'}")
        return Reply("The terse personas read as human; formal ones did not.")


HUMANS = [["need a refund"], ["where is my order"], ["wrong size"], ["cancel pls"]]
PROXIES = [["Hello! I would like to request a refund for my recent order, thank you so much."]] * 4


def test_parse_verdict():
    assert parse_verdict("blah\nVERDICT: a", ("A", "B", "TIE")) == "A"
    assert parse_verdict("VERDICT: A ... final VERDICT: **TIE**", ("A", "B", "TIE")) == "TIE"
    with pytest.raises(WorkFailed):
        parse_verdict("I think it is a close call", ("A", "B", "TIE"))


def test_read_verdict_fallbacks_and_unparseable():
    assert read_verdict("Reasoning...\n**Answer: pass**", ("PASS", "FAIL")) == "PASS"
    assert read_verdict("The policy is fine.\nFAIL.", ("PASS", "FAIL")) == "FAIL"
    assert read_verdict("Conversation B reads human.\nB", ("A", "B", "TIE")) == "B"
    assert read_verdict("VERDICT: <PASS|FAIL>", ("PASS", "FAIL")) is None  # the template echoed back
    assert read_verdict("a real person wrote this", ("A", "B", "TIE")) is None  # lower-case "a" is a word
    assert read_verdict("", ("YES", "NO")) is None


def test_pairwise_scores_and_seeded_order():
    judge = LocalJudge()
    result = asyncio.run(pairwise_indistinguishability(judge, PROXIES, HUMANS, seed=3))
    assert result.score.mean == 0.0 and result.tie_rate == 0.0 and result.parity_gap == -0.5
    rng = random.Random(3)
    expected_first = [rng.random() < 0.5 for _ in PROXIES]
    proxy_first = ["Conversation A:\nUSER: Hello" in m[-1]["content"] for _, m, _ in judge.calls]
    assert proxy_first == expected_first and {r for r, _, _ in judge.calls} == {"judge"}
    tie = asyncio.run(pairwise_indistinguishability(LocalJudge(), HUMANS, HUMANS, seed=0))
    assert tie.score.mean == 0.5 and tie.tie_rate == 1.0


def test_rubric_and_calibration():
    judge = LocalJudge()
    assert asyncio.run(rubric_score(judge, HUMANS)).mean == 1.0
    cal = asyncio.run(rubric_calibration(judge, HUMANS, [PROXIES[0] * 6] * 2))
    assert (cal.mean_hh, cal.mean_pp) == (1.0, 0.0) and cal.apply(0.25) == 0.25
    pair = asyncio.run(pairwise_calibration(judge, HUMANS, PROXIES))
    assert (pair.mean_hh, pair.mean_pp) == (0.75, 0.5)  # "need a refund" beats "where is my order"; the rest tie
    assert calibrate(0.7, 0.9, 0.5) == pytest.approx(0.5)
    assert calibrate(0.2, 0.9, 0.5) == 0.0 and calibrate(1.0, 0.9, 0.5) == 1.0
    assert calibrate(0.6, 0.5, 0.5) == 1.0


def test_llm_preservation_judge():
    judge = LocalJudge()
    assert asyncio.run(judge_policy(judge, "Be terse.", TASK)).passed
    bad = asyncio.run(judge_policy(judge, "Type your email with a typo.", TASK))
    assert not bad.passed and bad.reasons
    assert "<policy>" in judge.calls[0][1][-1]["content"]
    verdicts = asyncio.run(judge_policies(judge, ["Be terse.", "Make a typo in your email."], TASK))
    assert [v.passed for v in verdicts] == [True, False]


def test_reflection_prompt_and_call():
    rows = [PersonaRow(p_human=0.9, behaviours=["terse", "typos"]), PersonaRow(p_human=0.1, behaviours=[], preserved=False)]
    sample = SampleDialogue(policy="Be terse.", p_human=0.9, features={"words_per_turn": 3.0}, user_turns=["need refund"])
    objectives = {"human_likeness": 0.5, "coverage": 0.25}
    messages = build_reflection_prompt(objectives, rows, [sample])
    body = messages[-1]["content"]
    assert "300 words" in body and "terse, typos" in body and "BREAKS THE TASK" in body
    assert "USER: need refund" in body and "human_likeness: 0.500" in body
    judge = LocalJudge()
    text = asyncio.run(reflect(judge, objectives, rows, [sample]))
    assert text and judge.calls[0][0] == "reflection"


@pytest.mark.slow
def test_with_the_real_offline_gateway():
    gateway_module = pytest.importorskip("evopersona.llm.gateway")
    from evopersona.config import LLMConfig

    gateway = gateway_module.Gateway(LLMConfig())

    async def run():
        pi = await pairwise_indistinguishability(gateway, PROXIES, HUMANS, seed=1)
        rubric = await rubric_score(gateway, HUMANS)
        good = await judge_policy(gateway, "Reveal details one at a time when asked.", TASK)
        bad = await judge_policy(gateway, "Make a typo in your email address.", TASK)
        text = await reflect(gateway, {"human_likeness": 0.4}, [PersonaRow(p_human=0.4, behaviours=["terse"])], [])
        await gateway.aclose()
        return pi, rubric, good, bad, text

    pi, rubric, good, bad, text = asyncio.run(run())
    assert pi.score.mean < 0.5 and 0.0 <= rubric.mean <= 1.0
    assert good.passed and not bad.passed and text


class MumblingJudge:
    """Answers every other request without any verdict, the way a small model does."""

    def __init__(self) -> None:
        self.calls = 0

    async def acomplete(self, role, messages, **kw):
        self.calls += 1
        return Reply("VERDICT: A" if self.calls % 2 else "Both users seem like people who need help.")


def test_unparseable_replies_are_counted_not_scored():
    result = asyncio.run(pairwise_indistinguishability(MumblingJudge(), PROXIES, HUMANS, seed=0))
    assert result.unparseable == 2
    assert result.score.n == 2
    judge = MumblingJudge()
    judge.calls = 1
    abstained = asyncio.run(judge_policy(judge, "Be terse.", TASK))
    assert abstained.judge_unparseable and abstained.passed and abstained.reasons == []
