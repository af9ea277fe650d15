"""The fake server's time-integrated in-flight count, which bench/evolve.py turns into an LLM busy share."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from evopersona.testing.fake_openai import FakeOpenAI

LATENCY_S = 0.4


def _ask(server: FakeOpenAI, i: int) -> str:
    body = {"model": "fake", "messages": [{"role": "user", "content": f"hello {i}"}]}
    req = urllib.request.Request(f"{server.base_url}/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["choices"][0]["message"]["content"]


def test_concurrent_requests_integrate_to_their_count() -> None:
    with FakeOpenAI(latency_s=LATENCY_S) as server:
        assert server.stats().mean_in_flight() == 0.0
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda i: _ask(server, i), range(4)))
        stats = server.stats()
    assert answers == [f"echo: hello {i}" for i in range(4)]
    assert stats.peak_in_flight == 4
    assert stats.in_flight_seconds >= 4 * LATENCY_S
    assert stats.first_request_at is not None and stats.last_request_end_at is not None
    assert stats.last_request_end_at - stats.first_request_at >= LATENCY_S
    assert 1.5 < stats.mean_in_flight() <= 4.0


def test_sequential_requests_average_at_most_one_and_reset_clears() -> None:
    with FakeOpenAI(latency_s=LATENCY_S) as server:
        _ask(server, 0)
        _ask(server, 1)
        stats = server.stats()
        assert stats.in_flight_seconds >= 2 * LATENCY_S
        assert 0.5 < stats.mean_in_flight() <= 1.0
        server.reset()
        cleared = server.stats()
    assert cleared.in_flight_seconds == 0.0
    assert cleared.first_request_at is None and cleared.last_request_end_at is None
    assert cleared.mean_in_flight() == 0.0
