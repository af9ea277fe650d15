"""One rate limit and budget for every Ray worker of a run, held by a named Ray actor.

The driver constructs the `RayRateLimiter`, which creates the actor at once, so the actor is owned
by the driver and lives as long as the driver holds the limiter (an actor created inside a task
would die with that task's last reference). The limiter pickles to its name and settings; the
copy a Ray task receives attaches to the same actor by name (get_if_exists). `ray` is imported
only here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from evopersona.config import BudgetConfig, RateLimitConfig
from evopersona.llm.limit_state import Grant, LimitState, Usage
from evopersona.llm.limiter import RateLimiter


class LimiterActor:
    """The actor body: a LimitState behind Ray's one-call-at-a-time actor queue."""

    def __init__(self, rate: RateLimitConfig, budget: BudgetConfig, window_s: float) -> None:
        self._state = LimitState(rate, budget, window_s)

    def try_acquire(self, model: str, tokens: int, cost_bound: float = 0.0) -> Grant:
        return self._state.try_acquire(model, tokens, cost_bound)

    def settle(self, ticket: int, tokens: int, cost_usd: float) -> None:
        self._state.settle(ticket, tokens, cost_usd)

    def usage(self) -> Usage:
        return self._state.usage()


class RayRateLimiter(RateLimiter):
    """A RateLimiter whose state lives in the named actor `name` (one name per run)."""

    def __init__(
        self,
        name: str,
        rate: RateLimitConfig,
        budget: BudgetConfig,
        *,
        window_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(sleep)
        self.name = name
        self.rate = rate
        self.budget = budget
        self.window_s = window_s
        self._actor: Any = None
        self._attach()

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "rate": self.rate, "budget": self.budget, "window_s": self.window_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        RateLimiter.__init__(self)
        self.name, self.rate, self.budget, self.window_s = (
            state["name"],
            state["rate"],
            state["budget"],
            state["window_s"],
        )
        self._actor = None

    def _attach(self) -> Any:
        import ray

        actor_class = ray.remote(num_cpus=0, max_restarts=0)(LimiterActor)
        self._actor = actor_class.options(name=self.name, get_if_exists=True).remote(
            self.rate, self.budget, self.window_s
        )
        return self._actor

    @property
    def actor(self) -> Any:
        return self._actor if self._actor is not None else self._attach()

    async def _try_acquire(self, model: str, tokens: int, cost_bound: float) -> Grant:
        return await self.actor.try_acquire.remote(model, tokens, cost_bound)

    async def settle(self, ticket: int, tokens: int, cost_usd: float) -> None:
        await self.actor.settle.remote(ticket, tokens, cost_usd)

    async def usage(self) -> Usage:
        return await self.actor.usage.remote()
