"""A real τ²-bench retail episode (its environment, database and reward) with the offline provider."""

from __future__ import annotations

import tau2  # noqa: F401 - the `test` extra installs it; missing, this module fails rather than skips

from evopersona.simulate.persona_block import PERSONA_HEADER, wrap_policy
from evopersona.simulate.tau2_adapter import PersonaUserSimulator, run_tau2_episode
from evopersona.tasks import load_domain

TASK = load_domain("retail")[0]
POLICY = "Writes short, terse fragments in lowercase. Gets frustrated and impatient."


def test_persona_block_is_appended_to_tau2_user_prompt() -> None:
    user = PersonaUserSimulator(instructions="Instructions: return a lamp", llm="offline/user",
                                persona_block=wrap_policy(POLICY))
    prompt = user.system_prompt
    assert prompt.index("<scenario>") < prompt.index(PERSONA_HEADER)
    assert POLICY in prompt
    plain = PersonaUserSimulator(instructions="Instructions: return a lamp", llm="offline/user")
    assert PERSONA_HEADER not in plain.system_prompt


def test_retail_episode_runs_end_to_end_with_tau2_reward() -> None:
    transcript = run_tau2_episode(TASK, POLICY, seed=3, max_steps=40, persona_id="terse_1")
    assert transcript.ended_by in ("stop", "max_turns"), transcript.error
    assert isinstance(transcript.agent_success, bool)
    users = transcript.user_turns()
    assert users and max(len(u.split()) for u in users) < 25
    assert "19122" in " ".join(users)
    assert transcript.persona_id == "terse_1" and transcript.domain == "retail"


def test_offline_agent_uses_tau2_tools_and_earns_reward_on_a_simple_return() -> None:
    """Task 53: authenticate by name + zip, find the delivered bicycle, confirm, return it to the original card."""
    task = next(t for t in load_domain("retail") if t.id == "53")
    transcript = run_tau2_episode(task, None, seed=3, max_steps=40)
    assert transcript.ended_by == "stop", transcript.error
    assert transcript.agent_success is True
    agent_text = " ".join(t.text for t in transcript.turns if t.role == "agent")
    assert "(yes/no)" in agent_text and "7758198585" in agent_text
