"""Fixtures for the gateway tests: a real OpenAI-compatible server on loopback and gateways aimed at it."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from evopersona.config import LLMConfig
from evopersona.llm.gateway import Gateway
from evopersona.llm.retry import Backoff, CallError
from evopersona.testing.fake_openai import FakeOpenAI

FAKE_KEY = "sk-evotest-0123456789abcdef"


class RecordingBackoff(Backoff):
    """Tiny delays so tests are fast; remembers each error and the delay it chose."""

    def __init__(self) -> None:
        super().__init__(base_s=0.01, cap_s=0.05, rng=random.Random(0))
        self.seen: list[tuple[CallError, float]] = []

    def delay(self, attempt: int, error: CallError) -> float:
        chosen = super().delay(attempt, error)
        self.seen.append((error, chosen))
        return chosen


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def server(fake_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    fake_server.reset()
    fake_server.set_latency(0.0)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    return fake_server


@pytest.fixture(params=["litellm", "auto"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every client-path test runs through litellm.acompletion and through the default transport."""
    return str(request.param)


MakeGateway = Callable[..., Gateway]


@pytest.fixture
def make_gateway(server: FakeOpenAI, tmp_path: Path, transport: str) -> Iterator[MakeGateway]:
    made: list[Gateway] = []

    def make(roles: dict[str, Any] | None = None, cache: bool = True, **llm: Any) -> Gateway:
        llm.setdefault("model", "openai/gpt-4o-mini")
        config = LLMConfig(api_base=server.base_url, roles=roles or {}, **llm)
        gateway = Gateway(
            config,
            cache_dir=tmp_path / "cache" if cache else None,
            transport=transport,  # type: ignore[arg-type]
            backoff=RecordingBackoff(),
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


def user_says(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are a terse customer."}, {"role": "user", "content": text}]
