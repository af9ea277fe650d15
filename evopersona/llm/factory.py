"""Gateways for a run: the driver's and each worker's share one rate limit and one budget.

With Ray the shared state lives in a named actor (one per run); inline, in one process-wide limiter.
"""

from __future__ import annotations

from pathlib import Path

from evopersona.config import BudgetConfig, RunConfig
from evopersona.llm.gateway import Gateway
from evopersona.llm.limiter import LocalRateLimiter, RateLimiter

_LOCAL_LIMITERS: dict[str, LocalRateLimiter] = {}


def remaining_budget(budget: BudgetConfig, spent_usd: float, spent_calls: int) -> BudgetConfig:
    """The budget left after what a resumed run already spent."""
    return BudgetConfig(
        max_usd=None if budget.max_usd is None else max(0.0, budget.max_usd - spent_usd),
        max_calls=None if budget.max_calls is None else max(0, budget.max_calls - spent_calls),
    )


def shared_limiter(config: RunConfig, budget: BudgetConfig | None = None) -> RateLimiter:
    budget = budget or config.llm.budget
    rate = config.llm.rate_limit
    limited = any(v is not None for v in (rate.requests_per_minute, rate.tokens_per_minute, budget.max_usd, budget.max_calls))
    if config.ray.executor == "ray" and limited:
        # Shared state costs two actor round trips per call: only worth it when there is a limit to share.
        from evopersona.llm.ray_limiter import RayRateLimiter

        return RayRateLimiter(f"evopersona-limits-{config.name}", config.llm.rate_limit, budget)
    key = config.name
    if key not in _LOCAL_LIMITERS:
        _LOCAL_LIMITERS[key] = LocalRateLimiter(config.llm.rate_limit, budget)
    return _LOCAL_LIMITERS[key]


def make_gateway(config: RunConfig, limiter: RateLimiter | None = None) -> Gateway:
    """A gateway with the run's cache folder and the run's shared limits."""
    cache_dir = config.llm.cache_dir or str(config.run_dir() / "llm-cache")
    return Gateway(config.llm, cache_dir=Path(cache_dir), limiter=limiter or shared_limiter(config))
