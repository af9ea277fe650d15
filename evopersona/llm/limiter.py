"""The rate-limit and budget interface the gateway talks to, and its in-process implementation."""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

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
    async def _try_acquire(self, model: str, tokens: int) -> Grant: ...

    @abstractmethod
    async def settle(self, ticket: int, tokens: int, cost_usd: float) -> None: ...

    @abstractmethod
    async def usage(self) -> Usage: ...

    async def acquire(self, model: str, tokens: int) -> int:
        while True:
            grant = await self._try_acquire(model, tokens)
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

    async def _try_acquire(self, model: str, tokens: int) -> Grant:
        with self._lock:
            return self._state.try_acquire(model, tokens)

    async def settle(self, ticket: int, tokens: int, cost_usd: float) -> None:
        with self._lock:
            self._state.settle(ticket, tokens, cost_usd)

    async def usage(self) -> Usage:
        with self._lock:
            return self._state.usage()
