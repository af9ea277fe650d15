"""The `local/` provider: model names, the gateway path (ledger, cache, cost 0, timeouts) and the run caps.

Tests marked `local_model` run the real SmolLM2-135M GGUF in-process with a few tokens per call.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any, get_args

import pytest

from evopersona.config import LLMConfig, RunConfig
from evopersona.errors import InputError
from evopersona.evolve.diff import (
    ChildChecks,
    MutationRejected,
    RejectKind,
    apply_mutation,
)
from evopersona.evolve.mutation_prompt import PromptProgram, build_mutation_prompt
from evopersona.fitness.judges import judge_policy
from evopersona.llm.errors import LLMCallFailed
from evopersona.llm.gateway import Gateway
from evopersona.llm.ledger import Ledger
from evopersona.llm.local import is_local, local_model, model_path
from evopersona.resources import read_program
from evopersona.simulate.episode import run_episode
from evopersona.simulate.prompts import user_prompt_style
from evopersona.simulate.user_turn import clean_user_turn
from evopersona.tasks import Task

# A domain without a τ² policy: the agent gets a two-sentence brief instead of retail's 1,600 tokens,
# which the real model reads at about 100 tokens/s on a loaded machine.
TASK = Task(id="t1", domain="shop", reason_for_call="Return a keyboard.", known_info="Email a@b.com.")


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
    assert capped.episodes.max_turns == 4 and capped.fitness.reference_tasks == 2
    assert capped.tasks.personas_per_task == 2 and capped.fitness.baseline_personas_per_task == 2
    assert capped.llm.role("user").max_tokens == 80 and capped.llm.role("mutator").max_tokens == 640
    assert all(capped.llm.role(r).concurrency == 1 for r in ("user", "agent", "generator", "judge"))
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
def test_an_episode_with_the_real_model_has_the_customers_own_turns() -> None:
    config = LLMConfig(model="local/smollm2", roles={"user": {"max_tokens": 32}, "agent": {"max_tokens": 24}})
    gateway = Gateway(config)
    replies: list[str] = []

    class Recording:
        async def acomplete(self, role: str, messages: list[dict[str, str]], **kwargs: Any) -> Any:
            reply = await gateway.acomplete(role, messages, **kwargs)
            if role == "user":
                replies.append(reply.text)
            return reply

    async def episode():  # type: ignore[no-untyped-def]
        try:
            return await run_episode(TASK, "Write short, lowercase messages.", Recording(), max_turns=2, seed=3,
                                     user_prompt=user_prompt_style(config))
        finally:
            await gateway.aclose()

    transcript = asyncio.run(episode())
    assert transcript.ended_by in ("max_turns", "stop", "loop", "transfer", "out_of_scope"), transcript.error
    user_turns = [t.text for t in transcript.turns if t.role == "user"]
    assert user_turns and all(t == clean_user_turn(t, "") and t.strip() for t in user_turns)
    assert len(replies) >= len(user_turns)  # every turn came from a real reply, cleaned


@pytest.mark.local_model
def test_real_judge_and_mutator_replies_become_verdicts_or_reasons() -> None:
    config = LLMConfig(model="local/smollm2", roles={"judge": {"max_tokens": 40}, "mutator": {"max_tokens": 48}})
    gateway = Gateway(config)
    try:
        verdict = asyncio.run(judge_policy(gateway, "Write short, lowercase messages.", TASK, seed=1))
        parent = read_program("baseline.py")[1]
        prompt = build_mutation_prompt(PromptProgram(1, parent, None), reflection=None, inspirations=[], rng=random.Random(0))
        reply = gateway.complete("mutator", prompt.messages, seed=1)
    finally:
        gateway.close()
    assert verdict.passed == (not verdict.reasons) and (verdict.passed or not verdict.judge_unparseable)
    try:
        child = apply_mutation(parent, reply.text, ChildChecks(max_code_length=65536))
    except MutationRejected as rejected:
        assert rejected.kind in get_args(RejectKind) and rejected.reason
    else:
        assert child.code != parent
