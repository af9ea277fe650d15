"""The on-disk response cache: hits, misses, the per-role switch, sharing between processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from evopersona.llm.cache import CachedResponse, ResponseCache, request_key
from evopersona.testing.fake_openai import FakeOpenAI

from .conftest import MakeGateway, user_says


def test_same_request_is_served_from_cache(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway()
    first = gateway.complete("user", user_says("where is my order"), seed=1)
    second = gateway.complete("user", user_says("where is my order"), seed=1)
    assert server.requests == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.text == first.text
    assert (second.tokens_in, second.tokens_out) == (first.tokens_in, first.tokens_out)
    assert second.cost_usd == 0.0
    assert gateway.cache is not None
    stats = gateway.cache.stats()
    assert (stats.entries, stats.hits, stats.misses, stats.stored_hits) == (1, 1, 1, 1)


def test_any_change_in_the_request_misses(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway()
    gateway.complete("user", user_says("a"), seed=1)
    gateway.complete("user", user_says("a"), seed=2)
    gateway.complete("user", user_says("a"), seed=1, temperature=0.7)
    gateway.complete("user", user_says("a"), seed=1, max_tokens=9)
    gateway.complete("user", user_says("b"), seed=1)
    assert server.requests == 5
    assert gateway.cache is not None and gateway.cache.stats().hits == 0


def test_cache_can_be_switched_off_per_role(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(roles={"judge": {"cache": False}})
    for _ in range(2):
        assert not gateway.complete("judge", user_says("verdict?"), seed=3).cached
        gateway.complete("agent", user_says("verdict?"), seed=3)
    assert server.stats().requests == 3
    assert [r.cached for r in gateway.ledger.drain()] == [False, False, False, True]


def test_cache_survives_a_new_gateway(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    make_gateway().complete("mutator", user_says("rewrite"), seed=5)
    assert make_gateway().complete("mutator", user_says("rewrite"), seed=5).cached
    assert server.requests == 1


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from evopersona.llm.cache import CachedResponse, ResponseCache, request_key
    cache = ResponseCache(Path(sys.argv[1]))
    tag = sys.argv[2]
    for i in range(150):
        shared = request_key("m", [{"role": "user", "content": f"shared {i}"}], 0.0, 10, None)
        own = request_key("m", [{"role": "user", "content": f"{tag} {i}"}], 0.0, 10, None)
        for key in (shared, own):
            cache.put(key, "m", CachedResponse(text=f"{tag} {i}", tokens_in=1, tokens_out=1, cost_usd=0.0))
            assert cache.get(key) is not None
    """
)


def test_several_processes_write_one_cache(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag], stderr=subprocess.PIPE, text=True)
        for tag in ("p1", "p2", "p3")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    cache = ResponseCache(tmp_path)
    stats = cache.stats()
    assert stats.entries == 150 + 3 * 150
    assert stats.stored_hits == 3 * 300
    key = request_key("m", [{"role": "user", "content": "p2 7"}], 0.0, 10, None)
    assert cache.get(key) == CachedResponse(text="p2 7", tokens_in=1, tokens_out=1, cost_usd=0.0)
    cache.close()
