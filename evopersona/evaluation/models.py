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


class RunContext(BaseModel):
    """What every evaluation of a run shares; shipped once per run through Ray's object store.

    `llm_cache_dir`: the worker's LLM cache folder when the driver knows it is valid where the
    worker runs (inline, or a local Ray on the driver's machine); None on a cluster, where each node
    keeps its own cache (or none, by `ray.worker_llm_cache`)."""

    config: RunConfig
    llm_cache_dir: str | None = None


class JobTicket(BaseModel):
    """One evaluation as it travels to a Ray worker: the program plus digests of what it shares with
    other jobs (run context, tasks, reference bundle), fetched from the object store and cached by digest."""

    program_id: int
    code: str
    personas_per_task: int
    seed: int
    reflect: bool = True
    context_digest: str
    task_digests: list[str]
    reference_digest: str


class EvaluationOutcome(BaseModel):
    """A finished evaluation: the store's result plus the cascade stage it stopped at."""

    program_id: int
    stage: Stage
    result: EvaluationResult
