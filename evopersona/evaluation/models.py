"""What crosses the boundary between the driver and an evaluation worker (Ray or inline)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from evopersona.config import RunConfig
from evopersona.store.models import EvaluationResult
from evopersona.tasks import Task

Stage = Literal["contract", "preservation", "generation", "episodes", "fitness", "complete"]


class EvaluationJob(BaseModel):
    """Everything a worker needs; no secrets (keys come from the worker's own environment)."""

    program_id: int
    code: str
    tasks: list[Task]
    personas_per_task: int
    seed: int
    config: RunConfig
    reference_dir: str
    reflect: bool = True


class EvaluationOutcome(BaseModel):
    """A finished evaluation: the store's result plus the cascade stage it stopped at."""

    program_id: int
    stage: Stage
    result: EvaluationResult
