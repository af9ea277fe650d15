"""The rate-limit and budget interface the gateway talks to, and its in-process implementation."""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from evopersona.config import BudgetConfig, RateLimitConfig
from evopersona.llm.errors import BudgetExceeded
from evopersona.llm.limit_state import Grant, LimitState, Usage


class RateLimiter(ABC):
    """Requests/tokens per minute per model and the run budget, as the gateway sees them.

    `acquire` waits until a request may go out and returns a ticket (or raises BudgetExceeded);
    `settle` reports what the request really used. Retry attempts acquire their own tickets:
    each one is a request the provider counts.
    """

    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._sleep = sleep

    @abstractmethod
    async def _try_acquire(self, model: str, tokens: int, cost_bound: float) -> Grant: ...

    @abstractmethod
    async def settle(self, ticket: int, tokens: int, cost_usd: float) -> None: ...

    @abstractmethod
    async def usage(self) -> Usage: ...

    async def acquire(self, model: str, tokens: int, cost_bound: float = 0.0) -> int:
        """A ticket for one request; `cost_bound` (dollars) is held against the budget until `settle`."""
        while True:
            grant = await self._try_acquire(model, tokens, cost_bound)
            if grant.refused is not None:
                raise BudgetExceeded(grant.refused)
            if grant.ticket is not None:
                return grant.ticket
            await self._sleep(grant.wait_s)


class LocalRateLimiter(RateLimiter):
    """Limits shared by every gateway of this process (use one instance per run)."""

    def __init__(
        self,
        rate: RateLimitConfig,
        budget: BudgetConfig,
        *,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(sleep)
        self._state = LimitState(rate, budget, window_s, clock)
        self._lock = threading.Lock()

    async def _try_acquire(self, model: str, tokens: int, cost_bound: float) -> Grant:
        with self._lock:
            return self._state.try_acquire(model, tokens, cost_bound)

    async def settle(self, ticket: int, tokens: int, cost_usd: float) -> None:
        with self._lock:
            self._state.settle(ticket, tokens, cost_usd)

    async def usage(self) -> Usage:
        with self._lock:
            return self._state.usage()


def cost_bound(model: str, messages: list[dict[str, Any]], max_tokens: int) -> float:
    """The most a request may cost by litellm's price map: its prompt at about 3 characters a token
    (generous, so real tokenizers stay under it) plus `max_tokens` of output. 0 for unpriced models."""
    import litellm

    entry = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[-1])
    if not entry:
        return 0.0
    prompt_tokens = sum(len(str(m.get("content") or "")) // 3 + 8 for m in messages)
    return (prompt_tokens * float(entry.get("input_cost_per_token") or 0.0)
            + max_tokens * float(entry.get("output_cost_per_token") or 0.0))
