"""Rate limits and budget bookkeeping, driven by a test clock so no test waits a real minute."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from evopersona.config import BudgetConfig, LLMConfig, RateLimitConfig
from evopersona.llm.errors import BudgetExceeded
from evopersona.llm.gateway import Gateway
from evopersona.llm.limit_state import LimitState
from evopersona.llm.limiter import LocalRateLimiter, cost_bound
from evopersona.testing.fake_openai import FakeOpenAI

from .conftest import user_says


class Clock:
    """Virtual time: `sleep` advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_requests_per_minute_window() -> None:
    clock = Clock()
    state = LimitState(RateLimitConfig(requests_per_minute=2), BudgetConfig(), clock=clock)
    assert state.try_acquire("a", 10).ticket is not None
    assert state.try_acquire("a", 10).ticket is not None
    blocked = state.try_acquire("a", 10)
    assert blocked.ticket is None and blocked.wait_s == pytest.approx(60.0)
    assert state.try_acquire("b", 10).ticket is not None  # the window is per model
    clock.now += 60.0
    assert state.try_acquire("a", 10).ticket is not None


def test_tokens_per_minute_uses_settled_counts() -> None:
    clock = Clock()
    state = LimitState(RateLimitConfig(tokens_per_minute=1000), BudgetConfig(), clock=clock)
    first = state.try_acquire("a", 900)
    assert first.ticket is not None
    clock.now += 10
    blocked = state.try_acquire("a", 200)
    assert blocked.ticket is None and blocked.wait_s == pytest.approx(50.0)
    state.settle(first.ticket, 300, 0.0)  # it used far fewer tokens than estimated
    assert state.try_acquire("a", 200).ticket is not None
    assert state.usage().in_window == {"a": 2}


def test_oversized_request_still_goes_through_an_empty_window() -> None:
    state = LimitState(RateLimitConfig(tokens_per_minute=100), BudgetConfig(), clock=Clock())
    assert state.try_acquire("a", 5000).ticket is not None


def test_budget_refusals_name_the_limit() -> None:
    state = LimitState(RateLimitConfig(), BudgetConfig(max_usd=0.5, max_calls=3), clock=Clock())
    ticket = state.try_acquire("a", 1).ticket
    assert ticket is not None
    state.settle(ticket, 1, 0.6)
    refused = state.try_acquire("a", 1).refused
    assert refused is not None and "$0.6000 used, budget.max_usd is $0.5000" in refused
    assert state.usage().calls == 1


def test_gateway_caps_requests_per_minute(server: FakeOpenAI, tmp_path: Path) -> None:
    clock = Clock()
    limiter = LocalRateLimiter(RateLimitConfig(requests_per_minute=3), BudgetConfig(), clock=clock, sleep=clock.sleep)
    sent_at: list[float] = []
    config = LLMConfig(model="openai/gpt-4o-mini", api_base=server.base_url)
    gateway = Gateway(config, limiter=limiter)
    original = gateway._send

    async def timed_send(spec):  # type: ignore[no-untyped-def]
        sent_at.append(clock.now)
        return await original(spec)

    gateway._send = timed_send  # type: ignore[method-assign]

    async def main() -> None:
        try:
            await asyncio.gather(*(gateway.acomplete("user", user_says(f"r{i}")) for i in range(8)))
        finally:
            await gateway.aclose()

    asyncio.run(main())
    assert server.requests == 8
    assert len(sent_at) == 8
    sent_at.sort()
    for i in range(len(sent_at) - 3):
        assert sent_at[i + 3] - sent_at[i] >= 60.0  # never a 4th request inside one minute
    assert sent_at[-1] - sent_at[0] >= 120.0


def test_gateway_budget_through_a_shared_limiter(server: FakeOpenAI) -> None:
    limiter = LocalRateLimiter(RateLimitConfig(), BudgetConfig(max_calls=3))
    config = LLMConfig(model="openai/gpt-4o-mini", api_base=server.base_url)
    first, second = Gateway(config, limiter=limiter), Gateway(config, limiter=limiter)
    first.complete("user", user_says("a"))
    second.complete("user", user_says("b"))
    first.complete("user", user_says("c"))
    with pytest.raises(BudgetExceeded):
        second.complete("user", user_says("d"))
    assert asyncio.run(limiter.usage()).calls == 3
    first.close()
    second.close()


def test_calls_in_flight_hold_their_cost_bound_against_the_budget() -> None:
    state = LimitState(RateLimitConfig(), BudgetConfig(max_usd=1.0), clock=Clock())
    first = state.try_acquire("a", 1, cost_bound=0.6).ticket
    second = state.try_acquire("a", 1, cost_bound=0.6).ticket
    assert first is not None and second is not None  # 0.6 reserved < 1.0: the second may still go
    refused = state.try_acquire("a", 1, cost_bound=0.6).refused
    assert refused is not None and "$1.2000 reserved by calls in flight" in refused
    state.settle(first, 1, 0.1)
    state.settle(second, 1, 0.1)  # both cost far less than their bound: the budget opens again
    assert state.usage().reserved_usd == pytest.approx(0.0)
    assert state.try_acquire("a", 1, cost_bound=0.6).ticket is not None


def test_hard_cost_cap_with_concurrent_priced_calls(server: FakeOpenAI) -> None:
    """30 concurrent calls to a priced model at a slow loopback server: without counting calls in
    flight they would all pass the budget check before any cost is known."""
    server.set_latency(0.2)
    config = LLMConfig(model="openai/gpt-4o-mini", api_base=server.base_url,
                       roles={"user": {"max_tokens": 50, "cache": False, "concurrency": 64}})
    one_call = cost_bound("openai/gpt-4o-mini", user_says("r0"), 50)
    budget = BudgetConfig(max_usd=one_call * 3.5)
    limiter = LocalRateLimiter(RateLimitConfig(), budget)
    gateway = Gateway(config, limiter=limiter)

    async def main() -> list[object]:
        try:
            return await asyncio.gather(*(gateway.acomplete("user", user_says(f"r{i}")) for i in range(30)),
                                        return_exceptions=True)
        finally:
            await gateway.aclose()

    results = asyncio.run(main())
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert len(done) + len(refused) == 30 and refused, "the budget stopped the burst"
    spent = sum(r.cost_usd for r in done)  # type: ignore[attr-defined]
    assert spent > 0
    assert asyncio.run(limiter.usage()).cost_usd == pytest.approx(spent)
    assert spent <= budget.max_usd + one_call  # type: ignore[operator]
    assert server.requests == len(done) == 4  # 3.5 bounds fit: the 4th call crosses, no 5th starts
    gateway.close()
