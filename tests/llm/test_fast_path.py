"""The lean OpenAI-compatible path still takes model resolution and parameters from litellm."""

from __future__ import annotations

import pytest

from evopersona.llm.errors import LLMCallFailed
from evopersona.llm.fast_openai import fast_route
from evopersona.testing.fake_openai import FakeOpenAI

from .conftest import MakeGateway, user_says


def test_route_only_for_openai_compatible_endpoints() -> None:
    base = "http://127.0.0.1:9/v1"
    assert fast_route("openai/my-model", base) == ("my-model", base)
    assert fast_route("openai/my-model", None) is None
    assert fast_route("anthropic/claude-3-5-sonnet-20240620", base) is None


def test_parameters_are_mapped_by_litellm_for_the_model(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(model="openai/o3-mini")
    assert gateway.complete("mutator", user_says("hi")).text == "echo: hi"
    body = server.stats().last_bodies[-1]
    assert body["model"] == "o3-mini"
    assert body["max_completion_tokens"] == 8192 and "max_tokens" not in body


def test_unsupported_parameters_fail_without_a_request(server: FakeOpenAI, make_gateway: MakeGateway) -> None:
    gateway = make_gateway(model="openai/o3-mini")
    with pytest.raises(LLMCallFailed, match="temperature") as caught:
        gateway.complete("user", user_says("hi"))  # the user role runs at temperature 0
    assert caught.value.attempts == 1
    assert server.requests == 0
