"""One rate limit and one budget shared by two Ray tasks through the named limiter actor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from evopersona.config import BudgetConfig, LLMConfig, RateLimitConfig
from evopersona.llm.ray_limiter import RayRateLimiter
from evopersona.testing.fake_openai import FakeOpenAI

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # starting Ray and importing litellm in two workers takes 20-40 s on 2 cores


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _calls(limiter: RayRateLimiter, base_url: str, tag: str, n: int) -> dict[str, object]:
    """A Ray task's work: n gateway calls; returns what it saw (it runs in a worker process)."""
    import os
    import time

    from evopersona.llm.errors import BudgetExceeded
    from evopersona.llm.gateway import Gateway

    os.environ["OPENAI_API_KEY"] = "sk-ray-dummy-000000"
    gateway = Gateway(LLMConfig(model="openai/gpt-4o-mini", api_base=base_url), limiter=limiter)
    sent: list[float] = []
    refused = 0
    for i in range(n):
        try:
            gateway.complete("user", [{"role": "user", "content": f"{tag} {i}"}])
            sent.append(time.time())
        except BudgetExceeded:
            refused += 1
    records = len(gateway.ledger.drain())
    gateway.close()
    return {"sent": sent, "refused": refused, "records": records}


def test_two_tasks_share_one_rate_limit(local_ray: None, fake_server: FakeOpenAI) -> None:
    fake_server.reset()
    limiter = RayRateLimiter("test-shared-rpm", RateLimitConfig(requests_per_minute=3), BudgetConfig(), window_s=1.0)
    task = ray.remote(num_cpus=1)(_calls)
    results = ray.get([task.remote(limiter, fake_server.base_url, tag, 4) for tag in ("a", "b")])
    sent = sorted(t for r in results for t in r["sent"])
    assert len(sent) == 8 and fake_server.requests == 8
    for i in range(len(sent) - 3):
        assert sent[i + 3] - sent[i] >= 0.9  # at most 3 requests in any 1 s window, across both tasks
    assert asyncio.run(limiter.usage()).calls == 8


def test_two_tasks_share_one_budget(local_ray: None, fake_server: FakeOpenAI) -> None:
    fake_server.reset()
    limiter = RayRateLimiter("test-shared-budget", RateLimitConfig(), BudgetConfig(max_calls=5))
    task = ray.remote(num_cpus=1)(_calls)
    results = ray.get([task.remote(limiter, fake_server.base_url, tag, 4) for tag in ("a", "b")])
    assert sum(len(r["sent"]) for r in results) == 5
    assert sum(r["refused"] for r in results) == 3
    assert sum(r["records"] for r in results) == 5
    assert fake_server.requests == 5
