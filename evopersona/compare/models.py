"""The comparison document written to `compare.json` (read back by `evopersona report`).

Schema: `{domain, split, n, tasks, seed, models, runner, reference, splits, discriminators, llm_reference,
llm_scope, conditions: [{name, kind, source, metrics}]}`. `metrics` is flat: each metric name maps to a number, to
a mean with its 95% CI (`{mean, low, high, n}`), or to null where it does not apply (agent success
on the built-in runner, task preservation for humans).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field

from evopersona.fitness.negatives import NegativeKind
from evopersona.fitness.stats import MeanCI

MetricValue = MeanCI | float | int | None


def ci_or_none(value: MeanCI) -> MeanCI | None:
    """A CI without values (NaN mean) is reported as null, never as NaN in JSON."""
    return None if math.isnan(value.mean) else value


class ConditionResult(BaseModel):
    name: str
    kind: Literal["humans", "program"]
    source: str
    metrics: dict[str, MetricValue]


class SplitBookkeeping(BaseModel):
    """What the discriminators were trained on and what was evaluated, with the leakage checks passed."""

    human_train: int
    human_test: int
    baseline_tasks: list[str]
    evaluated_tasks: list[str]
    checks: dict[str, bool]


class DiscriminatorInfo(BaseModel):
    cv_roc_auc: float | None
    heldout_roc_auc: float | None = Field(default=None, description="test humans vs the no-persona condition")
    ece: float | None = Field(default=None, description="expected calibration error of P(human), cross-fitted on train")


class CompareDocument(BaseModel):
    domain: str
    split: str
    n: int
    tasks: list[str]
    seed: int
    models: dict[str, str]
    runner: str
    reference: str
    splits: SplitBookkeeping
    discriminators: dict[str, DiscriminatorInfo]
    negatives: list[NegativeKind] = Field(description="the kinds of negatives the reference's discriminators were fitted on")
    llm_reference: dict[str, float | int] = Field(description="LLM use of building the reference (0 when reused)")
    llm_scope: str = Field(description="which calls the per-condition LLM figures count")
    conditions: list[ConditionResult]
