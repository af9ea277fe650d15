"""Retries against a real loopback server, through litellm and through the default transport."""

from __future__ import annotations

import pytest

from evopersona.errors import WorkFailed
from evopersona.llm.errors import LLMCallFailed
from evopersona.testing.fake_openai import FakeOpenAI, Fault

from .conftest import MakeGateway, RecordingBackoff, user_says


def test_plain_call_passes_role_parameters(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(roles={"judge": {"temperature": 0.3, "max_tokens": 77}})
    completion = gateway.complete("judge", user_says("is this fine"), seed=11)
    assert completion.text == "echo: is this fine"
    assert (completion.role, completion.model, completion.cached) == ("judge", "openai/gpt-4o-mini", False)
    body = server.stats().last_bodies[-1]
    assert body["model"] == "gpt-4o-mini"
    assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.3, 77, 11)
    override = gateway.complete("judge", user_says("again"), temperature=0.9, max_tokens=5)
    assert override.text == "echo: again"
    body = server.stats().last_bodies[-1]
    assert (body["temperature"], body["max_tokens"]) == (0.9, 5)
    assert "seed" not in body


@pytest.mark.parametrize("kind", ["429", "500", "503"])
def test_retryable_error_then_success(server: FakeOpenAI, make_gateway: MakeGateway, kind: str) -> None:
    gateway = make_gateway()
    server.inject(Fault(kind=kind))  # type: ignore[arg-type]
    completion = gateway.complete("user", user_says("hello"))
    assert completion.text == "echo: hello"
    assert server.requests == 2
    records = gateway.ledger.drain()
    assert [r.error is None for r in records] == [False, True]
    assert kind in (records[0].error or "")


def test_bad_request_is_not_retried(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway()
    server.inject(Fault(kind="400"))
    with pytest.raises(LLMCallFailed) as caught:
        gateway.complete("agent", user_says("hello"))
    assert server.requests == 1
    error = caught.value
    assert isinstance(error, WorkFailed)
    assert (error.role, error.model, error.attempts) == ("agent", "openai/gpt-4o-mini", 1)
    assert "role agent" in str(error) and "openai/gpt-4o-mini" in str(error)
    assert "this request cannot succeed" in str(error)


def test_gives_up_after_the_last_retry(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(max_retries=2)
    server.inject(Fault(kind="500"), Fault(kind="500"), Fault(kind="500"), Fault(kind="500"))
    with pytest.raises(LLMCallFailed) as caught:
        gateway.complete("user", user_says("hello"))
    assert caught.value.attempts == 3
    assert "500" in caught.value.cause
    assert server.requests == 3
    assert len(gateway.ledger.drain()) == 3


def test_retry_after_is_honoured(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway()
    server.inject(Fault(kind="429", retry_after=0.4))
    gateway.complete("user", user_says("hello"))
    backoff = gateway.backoff
    assert isinstance(backoff, RecordingBackoff)
    ((error, delay),) = backoff.seen
    assert error.retry_after_s == pytest.approx(0.4)
    assert delay >= 0.4
    assert backoff.base_s < 0.4  # without the header the wait would have been far shorter


def test_timeout_is_retried(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(roles={"user": {"timeout_s": 0.3}})
    server.inject(Fault(kind="hang", hang_s=1.5))
    completion = gateway.complete("user", user_says("still there"))
    assert completion.text == "echo: still there"
    assert server.requests == 2
    first = gateway.ledger.drain()[0]
    assert first.error is not None and "timeout" in first.error.lower()
