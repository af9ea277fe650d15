"""The `local/` provider: model names, the gateway path (ledger, cache, cost 0, timeouts) and the run caps.

Tests marked `local_model` run the real SmolLM2-135M GGUF in-process with a few tokens per call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evopersona.config import LLMConfig, RunConfig
from evopersona.errors import InputError
from evopersona.llm.errors import LLMCallFailed
from evopersona.llm.gateway import Gateway
from evopersona.llm.ledger import Ledger
from evopersona.llm.local import is_local, local_model, model_path
from evopersona.simulate.episode import run_episode
from evopersona.tasks import Task

TASK = Task(id="t1", domain="retail", reason_for_call="Return a keyboard.", known_info="Email a@b.com.")


def _hello(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are a customer."}, {"role": "user", "content": text}]


def test_model_names(tmp_path: Path) -> None:
    assert is_local("local/smollm2") and not is_local("offline/user")
    with pytest.raises(InputError, match="no GGUF file"):
        model_path(f"local/{tmp_path / 'missing.gguf'}")
    with pytest.raises(InputError, match="bundled model"):
        model_path("local/gpt-5")


def test_local_caps_size_the_run_and_can_be_lifted() -> None:
    capped = RunConfig.model_validate({"llm": {"model": "local/smollm2"}, "episodes": {"max_turns": 14}})
    assert capped.episodes.max_turns == 6 and capped.fitness.reference_tasks == 4
    assert capped.llm.role("user").max_tokens == 80 and capped.llm.role("mutator").max_tokens == 1024
    lifted = RunConfig.model_validate({"llm": {"model": "local/smollm2", "local_caps": False}, "episodes": {"max_turns": 14}})
    assert lifted.episodes.max_turns == 14 and lifted.fitness.reference_tasks is None
    assert RunConfig().episodes.max_turns == 20  # the offline default is untouched


@pytest.mark.local_model
def test_gateway_runs_the_bundled_model(tmp_path: Path) -> None:
    assert model_path("local/smollm2").stat().st_size > 50_000_000
    config = LLMConfig(model="local/smollm2", roles={"user": {"max_tokens": 8}, "agent": {"max_tokens": 8}})
    ledger = Ledger()
    gateway = Gateway(config, cache_dir=tmp_path / "cache", ledger=ledger)
    try:
        first = gateway.complete("user", _hello("Say hello."), seed=1)
        again = gateway.complete("user", _hello("Say hello."), seed=1)
        agent = gateway.complete("agent", _hello("Say goodbye."), seed=1)
    finally:
        gateway.close()
    assert first.text.strip() and 0 < first.tokens_out <= 8 and first.tokens_in > 5
    assert first.cost_usd == 0.0 and again.cached and again.text == first.text
    assert agent.text.strip()
    records = ledger.drain()
    assert [r.role for r in records] == ["user", "user", "agent"] and all(r.cost_usd == 0 for r in records)
    contexts = local_model("local/smollm2")._contexts
    assert {"user", "agent"} <= set(contexts) and contexts["user"] is not contexts["agent"]


@pytest.mark.local_model
def test_timeout_is_a_failed_call_with_the_reason() -> None:
    config = LLMConfig(model="local/smollm2", max_retries=0, roles={"judge": {"max_tokens": 64, "timeout_s": 0.001}})
    gateway = Gateway(config)
    try:
        with pytest.raises(LLMCallFailed, match="timeout"):
            gateway.complete("judge", _hello("Count to fifty."), seed=1)
    finally:
        gateway.close()


@pytest.mark.local_model
def test_an_episode_with_the_real_model_ends_with_clean_user_turns() -> None:
    config = LLMConfig(model="local/smollm2", roles={"user": {"max_tokens": 24}, "agent": {"max_tokens": 24}})
    gateway = Gateway(config)

    async def episode():  # type: ignore[no-untyped-def]
        try:
            return await run_episode(TASK, "Write short, lowercase messages.", gateway, max_turns=2, seed=3)
        finally:
            await gateway.aclose()

    transcript = asyncio.run(episode())
    assert transcript.ended_by in ("max_turns", "stop", "loop", "transfer", "out_of_scope"), transcript.error
    user_turns = [t.text for t in transcript.turns if t.role == "user"]
    assert user_turns and all(t.strip() and not t.lower().startswith(("user:", "customer:")) for t in user_turns)
