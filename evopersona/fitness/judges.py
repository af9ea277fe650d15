"""LLM judges (gateway role "judge"): task preservation, and realism checks independent of the
discriminators (method.md §3.3): pairwise indistinguishability against a real human dialogue and a
yes/no rubric, with human-vs-human / proxy-vs-proxy calibration.

Every judge is asked to end with a line `VERDICT: <label>`. Real models drift from that, so the
label is read with fallbacks (`read_verdict`); a reply with no readable label is "unparseable" and
counted as such, never silently turned into a tie or a pass: the preservation judge then leaves the
rule verdict alone (`PreservationVerdict.judge_unparseable`), the pairwise and rubric scores leave it
out and report how many they left out, and a judge with no readable reply at all fails (WorkFailed).
"""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from evopersona.errors import WorkFailed
from evopersona.fitness.preservation import PreservationVerdict
from evopersona.fitness.stats import MeanCI, UNIT, mean_ci
from evopersona.tasks import Task

_VERDICT = re.compile(r"verdict\s*:\s*\**\s*([a-z]+)", re.IGNORECASE)
MAX_TURNS_SHOWN = 20
MAX_TURN_CHARS = 400


class AsyncCompleter(Protocol):
    """What the judges need from the gateway: `await acomplete(role, messages, ...)` with `.text`."""

    async def acomplete(self, role: str, messages: list[dict[str, str]], **kwargs: Any) -> Any: ...


def _labels_in(line: str, allowed: tuple[str, ...]) -> set[str]:
    """Allowed labels standing as words in a line (one-letter labels only in capitals, so "a" is no A)."""
    found = set()
    for label in allowed:
        flags = 0 if len(label) == 1 else re.IGNORECASE
        if re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", line, flags):
            found.add(label)
    return found


def read_verdict(text: str, allowed: tuple[str, ...]) -> str | None:
    """The verdict of a reply, or None when it has none: the last `VERDICT: X` with X allowed, else
    the last line that names exactly one allowed label (e.g. "**Answer: PASS**", "B.")."""
    found = [label.upper() for label in _VERDICT.findall(text) if label.upper() in allowed]
    if found:
        return found[-1]
    for line in reversed(text.strip().splitlines()):
        labels = _labels_in(line, allowed)
        if len(labels) == 1:
            return labels.pop()
        if labels:
            return None
    return None


def parse_verdict(text: str, allowed: tuple[str, ...]) -> str:
    """`read_verdict`, raising WorkFailed when the reply has no readable verdict."""
    label = read_verdict(text, allowed)
    if label is None:
        raise WorkFailed(f"judge reply has no readable verdict in {list(allowed)}: {text[-200:]!r}")
    return label


def render_user_side(turns: list[str]) -> str:
    shown = [t if len(t) <= MAX_TURN_CHARS else t[:MAX_TURN_CHARS] + "…" for t in turns[:MAX_TURNS_SHOWN]]
    return "\n".join(f"USER: {t}" for t in shown)


async def _ask(gateway: AsyncCompleter, system: str, user: str, allowed: tuple[str, ...], seed: int) -> str | None:
    """The judge's verdict, or None when its reply is unparseable."""
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    reply = await gateway.acomplete("judge", messages, seed=seed)
    return read_verdict(reply.text, allowed)


def _readable(judge: str, scores: list[float | None]) -> list[float]:
    """The scores of parseable replies; WorkFailed when there is none to average."""
    readable = [s for s in scores if s is not None]
    if not readable:
        raise WorkFailed(f"{judge} judge: none of {len(scores)} replies had a readable verdict")
    return readable


PRESERVATION_SYSTEM = (
    "You audit roleplay instructions for a simulated customer. The instructions may change HOW the "
    "customer communicates (tone, length, typos in casual words, pacing, revealing details only when "
    "asked, pushback, emotion). They must never change WHAT the customer wants or knows: no changed, "
    "false, mistyped or invented facts (names, emails, ids, addresses, zip codes, order numbers), no "
    "forgotten or dropped requirements, no permanent refusal to share a fact the agent needs."
)
PRESERVATION_ASK = (
    "Scenario:\n{scenario}\n\nRoleplay instructions:\n<policy>\n{policy}\n</policy>\n\nDo the instructions keep every goal "
    "and fact of the scenario intact? Explain briefly, then end with one line: VERDICT: <PASS|FAIL>"
)


async def judge_policy(gateway: AsyncCompleter, policy: str, task: Task, *, seed: int = 0) -> PreservationVerdict:
    """The LLM variant of `check_policy_rules`."""
    user = PRESERVATION_ASK.format(scenario=task.scenario_text(), policy=policy)
    label = await _ask(gateway, PRESERVATION_SYSTEM, user, ("PASS", "FAIL"), seed)
    if label is None:
        return PreservationVerdict(passed=True, reasons=[], judge_unparseable=True)
    reasons = [] if label == "PASS" else ["llm_judge: the judge found a changed, dropped or withheld fact or goal"]
    return PreservationVerdict(passed=label == "PASS", reasons=reasons)


async def judge_policies(gateway: AsyncCompleter, policies: list[str], task: Task, *, seed: int = 0) -> list[PreservationVerdict]:
    """`judge_policy` for every policy of a task's population, concurrently."""
    return list(await asyncio.gather(*(judge_policy(gateway, p, task, seed=seed + i) for i, p in enumerate(policies))))


PAIRWISE_SYSTEM = (
    "You compare the USER side of two customer-service conversations. Decide which one reads like a "
    "real person typing to a support agent. Judge only the USER lines: wording, rhythm, tone, how "
    "information is given. Do not prefer a side for its position or its length. Reason first."
)
PAIRWISE_ASK = (
    "Conversation A:\n{a}\n\nConversation B:\n{b}\n\nWhich USER is the real human? End with one line: "
    "VERDICT: <A|B|TIE> (TIE if you cannot tell)."
)
RUBRIC_SYSTEM = (
    "You judge whether the USER side of a customer-service conversation was written by a real person. "
    "Criteria: concise, natural language a real user would type; nothing scripted or artificial; a "
    "tone and style real users have. Reason briefly first."
)
RUBRIC_ASK = "Conversation:\n{dialogue}\n\nIs this USER a real human? End with one line: VERDICT: <YES|NO>"


class PairwiseResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    score: MeanCI
    tie_rate: float
    parity_gap: float
    unparseable: int = 0


async def pairwise_indistinguishability(
    gateway: AsyncCompleter, candidates: list[list[str]], humans: list[list[str]], *, seed: int = 0
) -> PairwiseResult:
    """Candidate i against human i (cycled): a win (judged human) 1, a tie 0.5, a loss 0.

    Which side is A is a seeded coin flip per pair, so position bias averages out."""
    if not candidates or not humans:
        raise WorkFailed("pairwise judge needs at least one candidate and one human dialogue")
    rng = random.Random(seed)
    first = [rng.random() < 0.5 for _ in candidates]

    async def one(i: int) -> float | None:
        cand, human = render_user_side(candidates[i]), render_user_side(humans[i % len(humans)])
        a, b = (cand, human) if first[i] else (human, cand)
        label = await _ask(gateway, PAIRWISE_SYSTEM, PAIRWISE_ASK.format(a=a, b=b), ("A", "B", "TIE"), seed + i)
        if label is None:
            return None
        return 0.5 if label == "TIE" else float((label == "A") == first[i])

    judged = await asyncio.gather(*(one(i) for i in range(len(candidates))))
    scores = _readable("pairwise", judged)
    ci = mean_ci(scores, bounds=UNIT)
    return PairwiseResult(score=ci, tie_rate=sum(s == 0.5 for s in scores) / len(scores), parity_gap=ci.mean - 0.5,
                          unparseable=len(judged) - len(scores))


async def rubric_score(gateway: AsyncCompleter, dialogues: list[list[str]], *, seed: int = 0) -> MeanCI:
    """Share of dialogues the judge calls human (YES 1, NO 0)."""

    async def one(i: int) -> float | None:
        ask = RUBRIC_ASK.format(dialogue=render_user_side(dialogues[i]))
        label = await _ask(gateway, RUBRIC_SYSTEM, ask, ("YES", "NO"), seed + i)
        return None if label is None else float(label == "YES")

    return mean_ci(_readable("rubric", await asyncio.gather(*(one(i) for i in range(len(dialogues))))), bounds=UNIT)


class Calibration(BaseModel):
    """Judge scores of the two anchors: human-vs-human (HH) and proxy-vs-proxy (PP)."""

    model_config = ConfigDict(frozen=True)
    mean_hh: float
    mean_pp: float

    def apply(self, score: float) -> float:
        return calibrate(score, self.mean_hh, self.mean_pp)


def calibrate(score: float, mean_hh: float, mean_pp: float) -> float:
    return min(1.0, max(0.0, (score - mean_pp) / max(1e-6, mean_hh - mean_pp)))


async def pairwise_calibration(
    gateway: AsyncCompleter, humans: list[list[str]], proxies: list[list[str]], *, seed: int = 0
) -> Calibration:
    """HH: held-out humans in the candidate slot against humans; PP: anchor proxies (the baseline
    simulator) in both slots. Both sets are split in halves to pair them with themselves."""
    if len(humans) < 2 or len(proxies) < 2:
        raise WorkFailed("pairwise calibration needs at least two human and two proxy dialogues")
    hh = await pairwise_indistinguishability(gateway, humans[::2], humans[1::2], seed=seed)
    pp = await pairwise_indistinguishability(gateway, proxies[::2], proxies[1::2], seed=seed + 1)
    return Calibration(mean_hh=hh.score.mean, mean_pp=pp.score.mean)


async def rubric_calibration(
    gateway: AsyncCompleter, humans: list[list[str]], proxies: list[list[str]], *, seed: int = 0
) -> Calibration:
    """HH: the rubric on human dialogues; PP: the rubric on anchor proxy (baseline) dialogues."""
    hh = await rubric_score(gateway, humans, seed=seed)
    pp = await rubric_score(gateway, proxies, seed=seed + 1)
    return Calibration(mean_hh=hh.mean, mean_pp=pp.mean)
