"""The bookkeeping behind rate limits and the budget, free of any I/O so it can live anywhere.

The same object sits in-process (LocalRateLimiter) or inside a Ray actor (RayRateLimiter), so
every worker of a run sees one sliding window per model and one spend total. It never sleeps:
it answers "go (ticket)", "wait this long" or "the budget is spent", and the caller acts on it.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable

from pydantic import BaseModel

from evopersona.config import BudgetConfig, RateLimitConfig


class Grant(BaseModel):
    """The answer to a request for a slot: a ticket, a wait in seconds, or a budget refusal."""

    ticket: int | None = None
    wait_s: float = 0.0
    refused: str | None = None


class Usage(BaseModel):
    calls: int
    cost_usd: float
    in_window: dict[str, int]
    reserved_usd: float = 0.0


class _Entry:
    __slots__ = ("at", "cost_bound", "tokens")

    def __init__(self, at: float, tokens: int, cost_bound: float = 0.0) -> None:
        self.at = at
        self.tokens = tokens
        self.cost_bound = cost_bound


class LimitState:
    """Sliding windows of (time, tokens) per model plus the run's call count and spend."""

    def __init__(
        self,
        rate: RateLimitConfig,
        budget: BudgetConfig,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.budget = budget
        self.window_s = window_s
        self._clock = clock
        self._windows: dict[str, deque[_Entry]] = {}
        self._open: dict[int, _Entry] = {}
        self._tickets = itertools.count(1)
        self.calls = 0
        self.cost_usd = 0.0
        self.reserved_usd = 0.0

    def _budget_refusal(self) -> str | None:
        if self.budget.max_calls is not None and self.calls >= self.budget.max_calls:
            return f"LLM budget spent: {self.calls} calls made, budget.max_calls is {self.budget.max_calls}"
        if self.budget.max_usd is not None and self.cost_usd + self.reserved_usd >= self.budget.max_usd:
            in_flight = f" and ${self.reserved_usd:.4f} reserved by calls in flight" if self.reserved_usd else ""
            return (f"LLM budget spent: ${self.cost_usd:.4f} used{in_flight}, "
                    f"budget.max_usd is ${self.budget.max_usd:.4f}")
        return None

    def _window(self, model: str, now: float) -> deque[_Entry]:
        window = self._windows.setdefault(model, deque())
        while window and window[0].at <= now - self.window_s:
            window.popleft()
        return window

    def _wait(self, window: deque[_Entry], tokens: int, now: float) -> float:
        wait = 0.0
        rpm = self.rate.requests_per_minute
        if rpm is not None and len(window) >= rpm:
            wait = window[len(window) - rpm].at + self.window_s - now
        tpm = self.rate.tokens_per_minute
        if tpm is not None and window:
            excess = sum(e.tokens for e in window) + tokens - tpm
            for entry in window:
                if excess <= 0:
                    break
                excess -= entry.tokens
                wait = max(wait, entry.at + self.window_s - now)
        return max(wait, 0.0)

    def try_acquire(self, model: str, tokens: int, cost_bound: float = 0.0) -> Grant:
        """Take a slot for one request of about `tokens` tokens to `model` that costs at most
        `cost_bound` dollars, if the limits allow."""
        refusal = self._budget_refusal()
        if refusal is not None:
            return Grant(refused=refusal)
        now = self._clock()
        window = self._window(model, now)
        wait = self._wait(window, tokens, now)
        if wait > 0:
            return Grant(wait_s=wait)
        entry = _Entry(now, tokens, cost_bound)
        window.append(entry)
        ticket = next(self._tickets)
        self._open[ticket] = entry
        self.calls += 1
        self.reserved_usd += cost_bound
        return Grant(ticket=ticket)

    def settle(self, ticket: int, tokens: int, cost_usd: float) -> None:
        """Replace the request's token estimate and cost bound by what it used."""
        entry = self._open.pop(ticket, None)
        if entry is not None:
            entry.tokens = tokens
            self.reserved_usd = max(0.0, self.reserved_usd - entry.cost_bound)
        self.cost_usd += cost_usd

    def usage(self) -> Usage:
        now = self._clock()
        return Usage(
            calls=self.calls,
            cost_usd=self.cost_usd,
            in_window={model: len(self._window(model, now)) for model in list(self._windows)},
            reserved_usd=self.reserved_usd,
        )
