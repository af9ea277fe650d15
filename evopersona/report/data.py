"""Everything the report shows, read from a run in one pass (the run may still be evolving)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from evopersona.api import LineageStep, program_info
from evopersona.runs import FrontEntry, OpenRun
from evopersona.store.models import Objectives
from evopersona.store.tables import LLMCallRow

DICE_KEYS = ("D1", "D2", "D3", "D4", "overall")
COMPARE_FILE = Path("compare") / "compare.json"


class ProgramPoint(BaseModel):
    program_id: int
    objectives: Objectives
    on_front: bool
    seed_name: str | None


class HistoryPoint(BaseModel):
    evaluations: int
    best_score: float | None
    hypervolume: float


class CallPoint(BaseModel):
    minutes: float
    role: str
    cumulative: int
    spent_usd: float = Field(description="run-wide LLM spend up to and including this call")


class GenealogyNode(BaseModel):
    """One program of the run and its parents, for the genealogy of every program."""

    program_id: int
    parent_ids: list[int]
    island: int
    generation: int
    mutation_kind: str | None
    score: float | None
    feasible: bool | None
    on_front: bool


class Compare(BaseModel):
    """`compare/compare.json` as found (rows rendered generically), or why it could not be read."""

    conditions: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    problem: str | None = None


class ReportData(BaseModel):
    run: str
    summary: dict[str, Any]
    points: list[ProgramPoint]
    front: list[FrontEntry]
    history: list[HistoryPoint]
    lineage: list[LineageStep]
    lineage_seed: str | None
    dice: dict[str, dict[str, float]]
    calls: list[CallPoint]
    compare: Compare | None
    genealogy: list[GenealogyNode]


def _seed_name(program: Any) -> str | None:
    return program.model if program.mutation_kind == "seed" else None


def _dice(opened: OpenRun, best_id: int | None) -> dict[str, dict[str, float]]:
    """Dice D1–D4 (and overall) of the best program and of each evaluated seed, labelled."""
    chosen: dict[str, dict[str, float]] = {}
    for program, evaluation in opened.evaluated():
        dice = evaluation.metrics.get("dice") or {}
        if not dice:
            continue
        values = {k: float(dice[k]) for k in DICE_KEYS if k in dice}
        if program.id == best_id:
            chosen[f"best (#{program.id})"] = values
        elif program.mutation_kind == "seed":
            chosen[f"seed {program.model} (#{program.id})"] = values
    return dict(sorted(chosen.items(), key=lambda kv: not kv[0].startswith("best")))


def _calls(opened: OpenRun) -> list[CallPoint]:
    """Cumulative LLM calls per role against minutes since the run's first call."""
    query = (select(LLMCallRow.created_at, LLMCallRow.role, LLMCallRow.cost_usd)
             .where(LLMCallRow.run_id == opened.run.id).order_by(col(LLMCallRow.created_at), col(LLMCallRow.id)))
    with Session(opened.store.engine) as session:
        rows: list[tuple[datetime, str, float]] = list(session.exec(query))
    if not rows:
        return []
    start = rows[0][0]
    counts: dict[str, int] = {}
    spent = 0.0
    points = []
    for created, role, cost in rows:
        counts[role] = counts.get(role, 0) + 1
        spent += cost
        points.append(CallPoint(minutes=(created - start).total_seconds() / 60, role=role, cumulative=counts[role],
                                spent_usd=spent))
    return points


def _genealogy(opened: OpenRun, points: list[ProgramPoint]) -> list[GenealogyNode]:
    """Every program of the run (evaluated or not) with its parents."""
    scored = {p.program_id: p for p in points}
    nodes = []
    for program in opened.store.list_programs(opened.run.id):
        assert program.id is not None
        point = scored.get(program.id)
        nodes.append(GenealogyNode(
            program_id=program.id, parent_ids=list(program.parent_ids), island=program.island,
            generation=program.generation, mutation_kind=program.mutation_kind,
            score=point.objectives.score if point else None, feasible=point.objectives.feasible if point else None,
            on_front=bool(point and point.on_front)))
    return nodes


def read_compare(run_dir: Path) -> Compare | None:
    path = run_dir / COMPARE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Compare(problem=f"{path} could not be read: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("conditions"), list):
        return Compare(problem=f"{path}: expected an object with a 'conditions' list")
    rows = [c for c in data["conditions"] if isinstance(c, dict)]
    return Compare(conditions=rows, extra={k: v for k, v in data.items() if k != "conditions"})


def collect(opened: OpenRun) -> ReportData:
    """Read the run once; every section of the report is drawn from the returned data."""
    summary = opened.summary()
    front = opened.front()
    front_ids = {e.program_id for e in front}
    points = [
        ProgramPoint(program_id=program.id, objectives=Objectives.model_validate(evaluation.objectives),
                     on_front=program.id in front_ids, seed_name=_seed_name(program))
        for program, evaluation in opened.evaluated() if evaluation.objectives is not None
    ]
    best_id = front[0].program_id if front else None
    lineage: list[LineageStep] = []
    lineage_seed = None
    if best_id is not None:
        lineage = program_info(opened, best_id).lineage
        root = opened.store.get_program(lineage[-1].program_id)
        lineage_seed = _seed_name(root) if root is not None else None
    history = [HistoryPoint(evaluations=h.evaluations, best_score=h.best_score, hypervolume=h.hypervolume)
               for h in opened.store.history(opened.run.id)]
    return ReportData(run=opened.config.name, summary=summary, points=points, front=front, history=history,
                      lineage=lineage, lineage_seed=lineage_seed, dice=_dice(opened, best_id), calls=_calls(opened),
                      compare=read_compare(opened.run_dir), genealogy=_genealogy(opened, points))
