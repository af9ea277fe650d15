"""Request and response bodies of the HTTP service (validated by pydantic, shown in the OpenAPI docs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evopersona.runs import FrontEntry
from evopersona.store.models import LLMTotals

MAX_PERSONAS = 50


class ErrorBody(BaseModel):
    """Every error response: a status code and a message meant for people (never a traceback)."""

    status: int
    message: str
    details: list[str] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str
    version: str


class RunSummary(BaseModel):
    run: str
    status: str
    programs: int
    evaluations: dict[str, int]
    rejected_mutations: dict[str, int]
    best_score: float | None
    best_program_id: int | None
    front_size: int
    hypervolume: float
    llm: LLMTotals


class RunList(BaseModel):
    runs: list[RunSummary]


class FrontResponse(BaseModel):
    run: str
    front: list[FrontEntry]


class InlineTask(BaseModel):
    """A task given in the request itself (for a benchmark the server does not bundle)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    domain: str = Field(min_length=1, max_length=200)
    reason_for_call: str = Field(min_length=1, max_length=20_000)
    known_info: str | None = Field(default=None, max_length=20_000)
    unknown_info: str | None = Field(default=None, max_length=20_000)
    task_instructions: str | None = Field(default=None, max_length=20_000)


class SampleRequest(BaseModel):
    """Sample personas for one task: `task_id` (in `source`, default the run's task source) or `task`."""

    model_config = ConfigDict(extra="forbid")

    task_id: str | None = Field(default=None, min_length=1, max_length=200)
    source: str | None = Field(default=None, description="a bundled τ² domain (retail, airline, telecom) or the run's task source")
    task: InlineTask | None = None
    program_id: int | None = Field(default=None, ge=1, description="default: the best program of the front")
    n: int = Field(default=5, ge=1, le=MAX_PERSONAS)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_task(self) -> SampleRequest:
        if (self.task_id is None) == (self.task is None):
            raise ValueError("give exactly one of task_id or task")
        if self.task is not None and self.source is not None:
            raise ValueError("source applies to task_id only, not to an inline task")
        return self


class SampledPersona(BaseModel):
    persona_id: str
    description: str
    axis_placement: dict[str, bool]
    policy: str
    prompt_block: str = Field(description="the block to append to the user simulator's system prompt ('' for no persona)")


class SampleResponse(BaseModel):
    run: str
    program_id: int
    task: str
    seed: int
    personas: list[SampledPersona]
