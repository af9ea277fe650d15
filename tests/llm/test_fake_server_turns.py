"""The fake server's `reply="turns"` mode, which bench/evolve.py relies on: a simulated conversation
against it runs to max_turns. Its default echo of the agent's greeting is agent speech that user-turn
cleaning drops, so the same conversation ends on its first user turn."""

from __future__ import annotations

import asyncio

import pytest

from evopersona.config import LLMConfig, RoleConfig
from evopersona.llm.gateway import Gateway
from evopersona.simulate.episode import run_episode
from evopersona.tasks import load_domain
from evopersona.testing.fake_openai import FakeOpenAI, ReplyKind

MAX_TURNS = 4


def _conversation(reply: ReplyKind, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int, int]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    task = load_domain("retail")[0]
    with FakeOpenAI(reply=reply) as server:
        roles = {role: RoleConfig(model="openai/fake", api_base=server.base_url, cache=False) for role in ("user", "agent")}
        gateway = Gateway(LLMConfig(max_retries=0, roles=roles))
        try:
            transcript = asyncio.run(run_episode(task, None, gateway, max_turns=MAX_TURNS, seed=3))
        finally:
            gateway.close()
        requests = server.stats().requests
    return transcript.ended_by, sum(t.role == "user" for t in transcript.turns), requests


def test_turn_replies_let_a_conversation_run_to_max_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    ended_by, user_turns, requests = _conversation("turns", monkeypatch)
    assert (ended_by, user_turns, requests) == ("max_turns", MAX_TURNS, 2 * MAX_TURNS)


def test_echo_replies_end_the_conversation_on_its_first_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    ended_by, user_turns, _ = _conversation("echo", monkeypatch)
    assert ended_by == "loop" and user_turns == 0
