"""Pydantic models at the store's boundary: what the engine hands in after an evaluation and the
summaries it reads back. They carry no database state, so workers can build and ship them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EvaluationStatus = Literal["pending", "running", "done", "failed", "infeasible"]
FINISHED_STATUSES: tuple[str, ...] = ("done", "failed", "infeasible")


class Objectives(BaseModel):
    """The fitness vector of one evaluation; `feasible` means task_preservation reached the floor."""

    model_config = ConfigDict(frozen=True)

    human_likeness: float = Field(ge=0, le=1)
    coverage: float = Field(ge=0, le=1)
    task_preservation: float = Field(ge=0, le=1)
    score: float
    feasible: bool


class PersonaIn(BaseModel):
    task_id: str
    persona_id: str
    description: str
    axis_placement: dict[str, bool] = Field(default_factory=dict)
    policy: str


class EpisodeIn(BaseModel):
    task_id: str
    persona_id: str | None
    transcript: dict[str, Any]
    ended_by: str
    agent_success: bool | None = None


class LLMCallIn(BaseModel):
    """One LLM call as the gateway's ledger records it (built with `from_attributes` from its records)."""

    model_config = ConfigDict(from_attributes=True)

    role: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = None
    created_at: datetime | None = None


class EvaluationResult(BaseModel):
    """Everything one finished evaluation writes, committed in a single transaction."""

    status: Literal["done", "failed", "infeasible"]
    objectives: Objectives | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    reflection: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    personas: list[PersonaIn] = Field(default_factory=list)
    episodes: list[EpisodeIn] = Field(default_factory=list)
    llm_calls: list[LLMCallIn] = Field(default_factory=list)


class ProgressIn(BaseModel):
    """The search after a finished evaluation: its history row and the migrations that evaluation
    triggered, committed with the evaluation itself."""

    evaluations: int
    best_score: float | None
    hypervolume: float
    front_size: int
    migrations: list[tuple[int, int, int]] = Field(default_factory=list)  # (program_id, from_island, to_island)


class RoleTotals(BaseModel):
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class LLMTotals(RoleTotals):
    """Run-wide LLM usage, overall and per role."""

    cached_calls: int = 0
    errors: int = 0
    by_role: dict[str, RoleTotals] = Field(default_factory=dict)
