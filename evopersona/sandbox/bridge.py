"""Parent side of the LLM bridge: the sandboxed `llm` object's requests are served here.

The child has no network; it sends its prompts up the pipe and the parent answers them through a
`Handler`. `gateway_handler` serves a batch concurrently through the gateway with role `generator`,
so every call a program makes is routed, cached, rate-limited and accounted for like any other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class BridgeMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user"]
    content: str


class BridgeRequest(BaseModel):
    """One completion a program asked for (seeded by the run seed and the call's position)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: list[BridgeMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    seed: int

    def openai_messages(self) -> list[dict[str, str]]:
        return [m.model_dump() for m in self.messages]


Handler = Callable[[list[BridgeRequest]], list[str]]


def no_llm_handler(requests: list[BridgeRequest]) -> list[str]:
    """The default when no gateway is configured: LLM-free programs run, others fail clearly."""
    raise RuntimeError("this program calls the LLM but the sandbox was given no LLM handler")


def gateway_handler(gateway: Any, loop: asyncio.AbstractEventLoop | None = None) -> Handler:
    """Serve bridge requests with `gateway.acomplete("generator", ...)`, all of a batch at once.

    Pass `loop` when the gateway lives on a running event loop in another thread (the pool's `run`
    is synchronous and blocks its own thread); otherwise each batch runs on a fresh loop.
    """

    async def serve(requests: list[BridgeRequest]) -> list[str]:
        completions = await asyncio.gather(*(
            gateway.acomplete("generator", r.openai_messages(), temperature=r.temperature,
                              max_tokens=r.max_tokens, seed=r.seed)
            for r in requests
        ))
        return [c.text for c in completions]

    def handler(requests: list[BridgeRequest]) -> list[str]:
        if loop is not None:
            return asyncio.run_coroutine_threadsafe(serve(requests), loop).result()
        return asyncio.run(serve(requests))

    return handler
