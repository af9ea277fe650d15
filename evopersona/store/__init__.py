"""Storage of a run: sqlmodel tables and the Store (single writer: the driver)."""

from evopersona.store.codehash import code_hash, normalise_code
from evopersona.store.models import (
    FINISHED_STATUSES,
    EpisodeIn,
    EvaluationResult,
    EvaluationStatus,
    LLMCallIn,
    LLMTotals,
    Objectives,
    PersonaIn,
    ProgressIn,
    RoleTotals,
)
from evopersona.store.store import Store
from evopersona.store.tables import (
    EpisodeRow,
    EvaluationRow,
    HistoryRow,
    LLMCallRow,
    MigrationRow,
    PersonaRow,
    ProgramRow,
    RunRow,
)

__all__ = [
    "FINISHED_STATUSES",
    "EpisodeIn",
    "EpisodeRow",
    "EvaluationResult",
    "EvaluationRow",
    "EvaluationStatus",
    "HistoryRow",
    "LLMCallIn",
    "LLMCallRow",
    "LLMTotals",
    "MigrationRow",
    "Objectives",
    "PersonaIn",
    "PersonaRow",
    "ProgramRow",
    "ProgressIn",
    "RoleTotals",
    "RunRow",
    "Store",
    "code_hash",
    "normalise_code",
]
