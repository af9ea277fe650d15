"""The ledger of calls, the budget stop, secrets, the sync wrapper and the async API."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from evopersona.llm.errors import BudgetExceeded, LLMCallFailed
from evopersona.llm.gateway import Completion, Gateway
from evopersona.testing.fake_openai import FakeOpenAI, Fault

from .conftest import FAKE_KEY, MakeGateway, user_says


def test_ledger_records_every_call(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway()
    done = gateway.complete("generator", user_says("make five personas"), seed=2)
    gateway.complete("generator", user_says("make five personas"), seed=2)
    fresh, hit = gateway.ledger.drain()
    assert (fresh.role, fresh.model, fresh.cached, fresh.error) == ("generator", "openai/gpt-4o-mini", False, None)
    assert (fresh.tokens_in, fresh.tokens_out) == (done.tokens_in, done.tokens_out)
    assert fresh.tokens_in > 0 and fresh.tokens_out > 0
    assert fresh.cost_usd == pytest.approx(done.cost_usd)
    assert fresh.cost_usd > 0  # gpt-4o-mini is priced in litellm's cost map
    assert fresh.latency_s > 0
    assert (hit.cached, hit.cost_usd) == (True, 0.0)
    assert hit.created_at >= fresh.created_at
    assert gateway.ledger.drain() == []


def test_budget_of_calls_stops_new_calls(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(budget={"max_calls": 2})
    gateway.complete("user", user_says("one"))
    gateway.complete("user", user_says("two"))
    assert gateway.complete("user", user_says("one")).cached  # a cache hit is free
    with pytest.raises(BudgetExceeded, match="2 calls made, budget.max_calls is 2"):
        gateway.complete("user", user_says("three"))
    assert server.requests == 2


def test_budget_of_dollars_stops_new_calls(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(budget={"max_usd": 1e-9})
    gateway.complete("user", user_says("one"))
    with pytest.raises(BudgetExceeded, match=r"budget.max_usd"):
        gateway.complete("user", user_says("two"))
    assert server.requests == 1


def test_keys_never_reach_ledger_errors_or_logs(
    server: FakeOpenAI, make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway()
    server.inject(Fault(kind="401"))
    with pytest.raises(LLMCallFailed) as caught:
        gateway.complete("user", user_says("hi"))
    assert server.stats().saw_authorization
    assert "Incorrect API key provided" in str(caught.value)
    (record,) = gateway.ledger.drain()
    captured = capfd.readouterr()
    for text in (str(caught.value), record.model_dump_json(), caplog.text, captured.out, captured.err):
        assert FAKE_KEY not in text


def test_sync_wrapper_from_many_threads(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(roles={"agent": {"concurrency": 3}})
    server.set_latency(0.05)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: gateway.complete("agent", user_says(f"q{i}")), range(16)))
    assert [r.text for r in results] == [f"echo: q{i}" for i in range(16)]
    assert server.requests == 16
    assert 1 < server.stats().peak_in_flight <= 3


def test_async_calls_run_concurrently(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(roles={"user": {"concurrency": 4}})
    server.set_latency(0.05)

    async def main() -> list[Completion]:
        try:
            return await asyncio.gather(*(gateway.acomplete("user", user_says(f"m{i}"), seed=i) for i in range(8)))
        finally:
            await gateway.aclose()

    results = asyncio.run(main())
    assert [r.text for r in results] == [f"echo: m{i}" for i in range(8)]
    assert len(gateway.ledger) == 8
    assert 1 < server.stats().peak_in_flight <= 4  # concurrent, but never past the role's limit


def test_unknown_role_is_an_input_error(make_gateway: MakeGateway) -> None:
    from evopersona.errors import InputError

    with pytest.raises(InputError, match="unknown LLM role 'critic'"):
        make_gateway().complete("critic", user_says("hi"))


def test_gateway_registers_the_offline_provider_when_present() -> None:
    from evopersona.config import LLMConfig

    pytest.importorskip("evopersona.llm.offline")
    gateway = Gateway(LLMConfig())
    completion = gateway.complete(
        "judge", user_says("Which is more human, A or B? Answer with VERDICT: <A|B|TIE>"), seed=1
    )
    assert completion.model == "offline/judge" and completion.text
    assert gateway.ledger.drain()[0].cost_usd == 0.0
    gateway.close()
