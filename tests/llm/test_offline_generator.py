"""Offline generator, judge and reflection formats."""

from __future__ import annotations

import json
import re

from evopersona.llm.offline import respond
from evopersona.llm.offline.text import word_count

POPULATION = """Create 7 personas for the support scenario below. Behaviour axes:
- terse: Writes in short messages.
- skeptical: Doubts the agent.
- frustrated: Is annoyed.
Scenario: Reason for call: You want to return a lamp.
Return only a JSON array of objects with keys persona_id, description, axis_placement and reasoning."""

EXPANSION = """Persona: 3_busy_nurse
Active behaviours:
- terse: Keeps messages short, lowercase, the occasional typo.
- skeptical: Pushes back on claims and asks 'are you sure?'.
Scenario:
Instructions:
\tReason for call:
\t\tYou want to return the lamp from order #W1234567.
Write 120-200 words of roleplay instructions."""


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_population_is_json_with_exactly_n_personas() -> None:
    for seed in range(5):
        people = json.loads(respond("generator", _user(POPULATION), 0.8, seed))
        assert len(people) == 7
        assert len({p["persona_id"] for p in people}) == 7
        for person in people:
            assert re.fullmatch(r"[a-z0-9_]+", person["persona_id"])
            assert set(person["axis_placement"]) == {"terse", "skeptical", "frustrated"}
            assert all(isinstance(v, bool) for v in person["axis_placement"].values())
            assert person["description"].count(".") == 2 and person["reasoning"]


def test_expansion_is_a_policy_of_120_to_220_words_keeping_cue_words() -> None:
    for seed in range(5):
        policy = respond("generator", _user(EXPANSION), 0.7, seed)
        assert "JSON" not in policy and not policy.startswith("[")
        assert 120 <= word_count(policy) <= 220
        assert "lowercase" in policy and "are you sure?" in policy
        assert "return the lamp" in policy


def test_direct_prompt_gets_personas_with_policies() -> None:
    prompt = "Create 3 personas with a roleplay policy each. Return a JSON array with persona_id, description, policy."
    people = json.loads(respond("generator", _user(prompt), 0.9, 0))
    assert len(people) == 3 and all(120 <= word_count(p["policy"]) <= 220 for p in people)


def test_judge_verdict_lines() -> None:
    pairwise = ("Which conversation has the more human user? Answer VERDICT: <A|B|TIE>\nConversation A\n"
                "user: Hello, I would like to kindly request a refund for my order; furthermore I appreciate it.\n"
                "agent: Sure.\nConversation B\nuser: refund pls\nagent: ok\nuser: yep")
    assert respond("judge", _user(pairwise)).splitlines()[-1] == "VERDICT: B"
    rubric = "Is this user human-like? VERDICT: <YES|NO>\nuser: need a refund\nuser: ok\nuser: its #W1234567"
    assert respond("judge", _user(rubric)).splitlines()[-1] == "VERDICT: YES"
    bad = ("Does the policy keep the task? VERDICT: <PASS|FAIL>\n"
           "<policy>Type the email with a typo and forget the half-zipper requirement.</policy>")
    good = "Does the policy keep the task? VERDICT: <PASS|FAIL>\n<policy>Short lowercase turns; never change any fact.</policy>"
    assert respond("judge", _user(bad)).splitlines()[-1] == "VERDICT: FAIL"
    assert respond("judge", _user(good)).splitlines()[-1] == "VERDICT: PASS"


def test_reflection_names_metrics_and_behaviours() -> None:
    text = respond("reflection", _user("human_likeness: 0.31\ncoverage: 0.62\nPolicies were terse and frustrated."), 0.25, 0)
    assert "coverage" in text and "human_likeness" in text
    assert "short" in text and "frustration" in text
