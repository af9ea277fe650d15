"""Episodes through the gateway and the offline provider: stop tokens, max turns, errors, concurrency."""

from __future__ import annotations

import asyncio

from evopersona.config import LLMConfig, RoleConfig
from evopersona.llm.gateway import Gateway
from evopersona.simulate.episode import EpisodeRequest, run_episode, run_episodes
from evopersona.simulate.prompts import FIRST_AGENT_MESSAGE
from evopersona.tasks import load_domain

TASKS = load_domain("retail")[:3]
TERSE = "Writes short, terse fragments in lowercase."


def test_episode_opens_with_the_greeting_and_ends_on_the_stop_token(gateway: Gateway) -> None:
    transcript = asyncio.run(run_episode(TASKS[0], TERSE, gateway, max_turns=20, seed=1, persona_id="p1"))
    assert transcript.turns[0].role == "agent" and transcript.turns[0].text == FIRST_AGENT_MESSAGE
    assert transcript.ended_by == "stop" and transcript.error is None
    assert transcript.turns[-1].role == "user" and "###STOP###" in transcript.turns[-1].text
    assert [t.role for t in transcript.turns[:4]] == ["agent", "user", "agent", "user"]
    assert transcript.persona_id == "p1" and transcript.policy == TERSE and transcript.agent_success is None


def test_max_turns_caps_the_user_turns(gateway: Gateway) -> None:
    transcript = asyncio.run(run_episode(TASKS[0], None, gateway, max_turns=2, seed=0))
    assert transcript.ended_by == "max_turns"
    assert sum(t.role == "user" for t in transcript.turns) == 2


def test_same_seed_same_transcript(gateway: Gateway) -> None:
    first = asyncio.run(run_episode(TASKS[1], TERSE, gateway, max_turns=20, seed=4))
    again = asyncio.run(run_episode(TASKS[1], TERSE, gateway, max_turns=20, seed=4))
    assert first == again


def test_an_llm_error_ends_the_episode_with_its_text(tmp_path) -> None:
    config = LLMConfig(max_retries=0, roles={"agent": RoleConfig(model="offline/not_a_role")})
    broken = Gateway(config, cache_dir=tmp_path / "cache")
    transcript = asyncio.run(run_episode(TASKS[0], None, broken, max_turns=5, seed=0))
    assert transcript.ended_by == "error"
    assert "not_a_role" in (transcript.error or "")
    assert [t.role for t in transcript.turns] == ["agent", "user"]


def test_run_episodes_keeps_order_under_concurrency(gateway: Gateway) -> None:
    items = [EpisodeRequest(task=task, policy=policy, max_turns=12, seed=seed, persona_id=f"{task.id}-{seed}")
             for task in TASKS for policy in (None, TERSE) for seed in (0, 1)]
    transcripts = asyncio.run(run_episodes(items, gateway, concurrency=4))
    assert [t.persona_id for t in transcripts] == [i.persona_id for i in items]
    assert all(t.ended_by == "stop" for t in transcripts)
