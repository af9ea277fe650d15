"""The objectives of one evaluation, computed from its episodes (method.md §1.9 and DESIGN.md).

human_likeness = mean P(human) of every episode's user side (the configured discriminator);
coverage = two-sided Chamfer coverage of the human cloud per task, averaged over tasks;
task_preservation = share of policies that keep the task (rules, or given LLM-judge verdicts);
score = w_h·HL + w_c·coverage; feasible = preservation ≥ floor. Every other figure the reports need
(P(human) of every discriminator, raw-space coverage, Dice D1–D4, lexical z) goes into `metrics`,
each with a 95% CI where it is a mean.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from evopersona.config import FitnessConfig
from evopersona.fitness.dice import aggregate_dice
from evopersona.fitness.discriminator import ForestDiscriminator
from evopersona.fitness.fingerprint import fingerprint_many
from evopersona.fitness.preservation import (
    PreservationVerdict,
    check_policy_rules,
    preservation_score,
)
from evopersona.fitness.reference import FitnessReference
from evopersona.fitness.stats import UNIT, mean_ci
from evopersona.tasks import Task


class TaskPopulation(BaseModel):
    """One task of an evaluation: its personas' policies and one user side per persona episode."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    task: Task
    policies: list[str]
    dialogues: list[list[str]]
    verdicts: list[PreservationVerdict] | None = Field(default=None, description="LLM-judge verdicts, if judged")


class Objectives(BaseModel):
    human_likeness: float = Field(ge=0, le=1)
    coverage: float = Field(ge=0, le=1)
    task_preservation: float = Field(ge=0, le=1)
    score: float = Field(ge=0, le=1)
    feasible: bool
    metrics: dict[str, Any] = Field(default_factory=dict)


def _p_human(reference: FitnessReference, kind: str, dialogues: list[list[str]], fp: np.ndarray) -> np.ndarray:
    disc = reference.discriminator(kind)
    return disc.p_human_fp(fp) if isinstance(disc, ForestDiscriminator) else disc.p_human(dialogues)


def compute_objectives(populations: list[TaskPopulation], reference: FitnessReference, config: FitnessConfig) -> Objectives:
    """All objectives and report metrics of one evaluation (see the module docstring)."""
    dialogues = [d for pop in populations for d in pop.dialogues]
    fp = fingerprint_many(dialogues)
    bounds = np.cumsum([0] + [len(pop.dialogues) for pop in populations])
    per_task_fp = [fp[a:b] for a, b in pairwise(bounds)]

    p_human = {kind: _p_human(reference, kind, dialogues, fp) for kind in reference.discriminators}
    chosen = p_human[config.discriminator]
    coverage = {space: cloud.mean_coverage(per_task_fp) for space, cloud in reference.clouds.items()}
    verdicts = [pop.verdicts or [check_policy_rules(p, pop.task) for p in pop.policies] for pop in populations]
    preservation = preservation_score([v for vs in verdicts for v in vs])

    hl = float(chosen.mean()) if chosen.size else 0.0
    cov = coverage[config.coverage_space].mean if populations else 0.0
    cov = 0.0 if np.isnan(cov) else float(cov)
    metrics: dict[str, Any] = {
        "p_human": {kind: mean_ci(v, bounds=UNIT).model_dump() for kind, v in p_human.items()},
        "coverage": {space: c.model_dump() for space, c in coverage.items()},
        "dice": aggregate_dice(fp, reference.human_mean) if len(fp) else {},
        "lexical_z": {k: v.model_dump() for k, v in reference.meta.lexical.zscores(dialogues).items()} if dialogues else {},
        "per_task": [
            {"task": pop.task.key, "coverage": reference.clouds[config.coverage_space].coverage(tfp),
             "p_human": chosen[a:b].tolist(), "preserved": [v.passed for v in vs],
             "preservation_reasons": [r for v in vs for r in v.reasons]}
            for pop, tfp, a, b, vs in zip(populations, per_task_fp, bounds[:-1], bounds[1:], verdicts, strict=True)
        ],
        "n_episodes": len(dialogues),
    }
    return Objectives(
        human_likeness=hl, coverage=cov, task_preservation=preservation,
        score=config.human_likeness_weight * hl + config.coverage_weight * cov,
        feasible=preservation >= config.preservation_floor, metrics=metrics,
    )
