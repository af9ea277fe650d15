"""Means with 95% confidence intervals: every reported metric carries one.

A Student-t interval: deterministic, cheap for 10k values, and fine for the sample sizes we report
(episodes, tasks). With fewer than two values the interval collapses to the mean. Metrics with a
natural range (probabilities, shares, coverage) pass `bounds` so a small sample never reports an
interval outside what the metric can take.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy import stats as _scipy_stats


class MeanCI(BaseModel):
    model_config = ConfigDict(frozen=True)
    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


UNIT = (0.0, 1.0)


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95, bounds: tuple[float, float] | None = None) -> MeanCI:
    """Mean of `values` with a two-sided t-interval (clipped to `bounds`); NaN for no values."""
    x = np.asarray(values, dtype=float).ravel()
    n = int(x.size)
    if n == 0:
        return MeanCI(mean=math.nan, low=math.nan, high=math.nan, n=0)
    mean = float(x.mean())
    if n < 2:
        return MeanCI(mean=mean, low=mean, high=mean, n=n)
    half = float(_scipy_stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return MeanCI(mean=mean, low=low, high=high, n=n)
