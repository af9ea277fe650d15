"""What crosses the boundary between the driver and an evaluation worker (Ray or inline)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from evopersona.config import RunConfig
from evopersona.tasks import Task

EvaluationStatus = Literal["done", "failed", "infeasible"]
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


class PersonaRow(BaseModel):
    task_id: str
    persona_id: str
    description: str
    axis_placement: dict[str, bool]
    policy: str


class EvaluationResult(BaseModel):
    program_id: int
    status: EvaluationStatus
    stage: Stage
    objectives: dict[str, Any] | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    reflection: str | None = None
    personas: list[PersonaRow] = Field(default_factory=list)
    episodes: list[dict[str, Any]] = Field(default_factory=list)
    llm_calls: list[dict[str, Any]] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    cost_usd: float = 0.0
