"""Which mutator model writes the next child: a UCB1 bandit on improvement per dollar.

A pull is one mutator call; its cost is charged when the answer arrives and its reward (how much
the child's score beat its parent's, 0 for a rejected, failed or infeasible child) when the child's
evaluation finishes. A model's value is its total improvement over its total cost (a free model's
call counts as `COST_FLOOR` dollars), scaled by the best model's value so values lie in [0, 1] and
UCB1's exploration term keeps its usual meaning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel

COST_FLOOR = 1e-6
EXPLORATION = 0.5


@dataclass
class Arm:
    calls: int = 0
    cost_usd: float = 0.0
    improvement: float = 0.0

    def rate(self) -> float:
        return self.improvement / max(self.cost_usd, self.calls * COST_FLOOR, COST_FLOOR)


class ArmSummary(BaseModel):
    model: str
    calls: int
    cost_usd: float
    improvement: float


class ModelBandit:
    """UCB1 over the configured models; one model means no choice to make."""

    def __init__(self, models: list[str], exploration: float = EXPLORATION) -> None:
        if not models:
            raise ValueError("the bandit needs at least one model")
        self.arms = {model: Arm() for model in models}
        self.exploration = exploration

    def choose(self) -> str:
        """An untried model first (in configured order), else the highest upper confidence bound."""
        for model, arm in self.arms.items():
            if arm.calls == 0:
                return model
        total = sum(arm.calls for arm in self.arms.values())
        best_rate = max(arm.rate() for arm in self.arms.values())

        def bound(item: tuple[str, Arm]) -> float:
            arm = item[1]
            value = arm.rate() / best_rate if best_rate > 0 else 0.0
            return value + self.exploration * math.sqrt(2 * math.log(total) / arm.calls)

        return max(self.arms.items(), key=bound)[0]

    def charge(self, model: str, cost_usd: float) -> None:
        """One call to `model` that cost `cost_usd`."""
        arm = self.arms[model]
        arm.calls += 1
        arm.cost_usd += cost_usd

    def reward(self, model: str, improvement: float) -> None:
        """The child `model` wrote beat its parent by `improvement` (clipped at 0)."""
        self.arms[model].improvement += max(0.0, improvement)

    def summary(self) -> list[ArmSummary]:
        return [ArmSummary(model=m, calls=a.calls, cost_usd=a.cost_usd, improvement=a.improvement)
                for m, a in self.arms.items()]
