"""The SQL tables of a run (sqlmodel): runs, programs with lineage, evaluations, the personas and
episodes each evaluation produced, every LLM call, island migrations and the progress history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores no zone and would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _when() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    config: dict[str, Any] = _json(dict)
    status: str = "created"
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ProgramRow(SQLModel, table=True):
    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("run_id", "code_hash", name="uq_program_run_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    code: str = Field(sa_column=Column(Text, nullable=False))
    code_hash: str = Field(index=True, max_length=64)
    parent_ids: list[int] = _json(list)
    island: int = 0
    mutation_kind: str | None = None
    mutation_angle: str | None = None
    model: str | None = None
    generation: int = 0
    created_at: datetime = _created()


class EvaluationRow(SQLModel, table=True):
    __tablename__ = "evaluations"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    program_id: int = Field(foreign_key="programs.id", index=True)
    status: str = Field(default="pending", index=True)
    objectives: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    metrics: dict[str, Any] = _json(dict)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reflection: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    timings: dict[str, float] = _json(dict)
    cost_usd: float = 0.0
    llm_calls: int = 0
    created_at: datetime = _created()
    started_at: datetime | None = _when()
    finished_at: datetime | None = _when()


class PersonaRow(SQLModel, table=True):
    __tablename__ = "personas"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluations.id", index=True)
    task_id: str
    persona_id: str
    description: str = Field(sa_column=Column(Text, nullable=False))
    axis_placement: dict[str, bool] = _json(dict)
    policy: str = Field(sa_column=Column(Text, nullable=False))


class EpisodeRow(SQLModel, table=True):
    __tablename__ = "episodes"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluations.id", index=True)
    task_id: str
    persona_id: str | None = None
    transcript: dict[str, Any] = _json(dict)
    ended_by: str
    agent_success: bool | None = None


class LLMCallRow(SQLModel, table=True):
    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluations.id", index=True)
    role: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cached: bool = False
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created()


class MigrationRow(SQLModel, table=True):
    """A program joining another island; replayed on resume to rebuild island membership."""

    __tablename__ = "migrations"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    program_id: int = Field(foreign_key="programs.id")
    from_island: int
    to_island: int
    evaluations: int
    created_at: datetime = _created()


class RejectionRow(SQLModel, table=True):
    """A mutator answer that produced no child (diff did not apply, syntax error, duplicate...)."""

    __tablename__ = "rejections"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    parent_id: int = Field(foreign_key="programs.id")
    kind: str
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class HistoryRow(SQLModel, table=True):
    """Progress of the search after a number of finished evaluations (for plots and patience)."""

    __tablename__ = "run_history"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    evaluations: int
    best_score: float | None = None
    hypervolume: float = 0.0
    front_size: int = 0
    created_at: datetime = _created()
