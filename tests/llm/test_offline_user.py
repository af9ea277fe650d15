"""The offline user simulator: cooperative without a persona, cue-shaped with one, facts intact."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from statistics import mean

from evopersona.llm.offline import respond
from evopersona.simulate.episode import run_episode
from evopersona.simulate.transcript import Transcript
from evopersona.tasks import load_domain

TASKS = load_domain("retail")[:12]
TERSE = "Writes short, terse fragments. Types in lowercase. Leaves the odd typo."
LATE = "Gives one detail at a time, only when asked."
MIXED = ("Skeptical and pushes back. Gets frustrated and impatient. Sounds vague and unsure. "
         "Acknowledges with a bare ok. Bursty, uneven messages.")


@dataclass
class _Reply:
    text: str


class OfflineRoles:
    """Serves each role straight from the offline provider's pure function (no litellm in between)."""

    async def acomplete(self, role: str, messages: list[dict[str, str]], *, temperature: float | None = None,
                        max_tokens: int | None = None, seed: int | None = None) -> _Reply:
        return _Reply(respond(role, messages, temperature, seed))


def _episodes(policy: str | None, seeds: range = range(2)) -> list[Transcript]:
    async def run() -> list[Transcript]:
        return [await run_episode(t, policy, OfflineRoles(), max_turns=12, seed=s) for t in TASKS for s in seeds]
    return asyncio.run(run())


def _words_per_turn(transcripts: list[Transcript]) -> float:
    return mean(len(turn.split()) for t in transcripts for turn in t.user_turns())


def test_without_persona_the_user_is_a_long_polite_front_loader() -> None:
    for transcript in _episodes(None):
        first = transcript.user_turns()[0]
        assert len(first.split()) > 30
        assert re.search(r"thank|appreciate", first, re.IGNORECASE)
        task = next(t for t in TASKS if t.id == transcript.task_id)
        for zip_code in re.findall(r"\b\d{5}\b", task.known_info or ""):
            assert zip_code in first


def test_terse_policy_shortens_turns_and_lowercases() -> None:
    plain, terse = _episodes(None), _episodes(TERSE)
    assert _words_per_turn(terse) < 0.4 * _words_per_turn(plain)
    for transcript in terse:
        for turn in transcript.user_turns():
            ordinary = re.sub(r"[\w.+-]+@\S+|#\w+|[A-Z][a-z]+ [A-Z][a-z]+", "", turn)
            assert ordinary == ordinary.lower()


def test_late_disclosure_keeps_facts_out_of_the_opening() -> None:
    for transcript in _episodes(LATE):
        task = next(t for t in TASKS if t.id == transcript.task_id)
        for zip_code in re.findall(r"\b\d{5}\b", task.known_info or ""):
            assert zip_code not in transcript.user_turns()[0]


def test_cues_show_up_as_their_phrases() -> None:
    turns = [turn for t in _episodes(MIXED, range(3)) for turn in t.user_turns()]
    text = "\n".join(turns)
    for phrase in (r"are you sure|already told|like i said|that's not right", r"ugh|seriously|come on",
                   r"maybe|i think|not sure|i guess|probably"):
        assert re.search(phrase, text), phrase
    assert any(turn in ("ok", "yep", "sure", "k", "yeah", "got it", "fine") for turn in turns)


def test_facts_are_never_altered() -> None:
    for policy in (None, TERSE, MIXED, LATE):
        for transcript in _episodes(policy):
            task = next(t for t in TASKS if t.id == transcript.task_id)
            scenario = task.scenario_text()
            said = " ".join(transcript.user_turns())
            for fact in re.findall(r"#W\d+|\b\d{5}\b|[\w.+-]+@[\w-]+\.\w+|\b[a-z]+_[a-z]+_\d+\b", said):
                assert fact in scenario, (fact, policy)


def test_every_episode_ends_with_a_stop_within_ten_user_turns() -> None:
    for policy in (None, TERSE, MIXED):
        for transcript in _episodes(policy):
            assert transcript.ended_by == "stop"
            assert "###STOP###" in transcript.turns[-1].text
            assert sum(t.role == "user" for t in transcript.turns) <= 10
