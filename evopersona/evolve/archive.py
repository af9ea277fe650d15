"""The Pareto archive: non-dominated sorting, crowding distance and hypervolume over
(human_likeness, coverage) among feasible programs. Infeasible programs (task preservation below the
floor) never enter a front; they rank after every feasible one, closest to feasibility first.

Pure functions over lightweight records; the primitives come from moocore (which minimises by
default, hence `maximise=True` everywhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import moocore
import numpy as np

from evopersona.store.models import Objectives

REFERENCE_POINT = (0.0, 0.0)


@dataclass(frozen=True, slots=True)
class ProgramRecord:
    """What selection needs to know about an evaluated program."""

    program_id: int
    island: int
    human_likeness: float
    coverage: float
    task_preservation: float
    score: float
    feasible: bool

    @classmethod
    def from_objectives(cls, program_id: int, island: int, objectives: Objectives) -> ProgramRecord:
        return cls(program_id, island, objectives.human_likeness, objectives.coverage,
                   objectives.task_preservation, objectives.score, objectives.feasible)

    @property
    def point(self) -> tuple[float, float]:
        return (self.human_likeness, self.coverage)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A record with its Pareto rank (0 = front; infeasible ones after all feasible ranks) and crowding."""

    record: ProgramRecord
    rank: int
    crowding: float


@dataclass(frozen=True, slots=True)
class FrontSummary:
    front_size: int
    hypervolume: float
    best_score: float | None
    best_program_id: int | None


def _points(records: Sequence[ProgramRecord]) -> np.ndarray:
    return np.array([r.point for r in records], dtype=float).reshape(len(records), 2)


def pareto_ranks(points: np.ndarray) -> np.ndarray:
    """Non-dominated sorting for maximisation: 0 for the front, 1 for the next layer, ..."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    return np.asarray(moocore.pareto_rank(points, maximise=True), dtype=int)


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within one front: boundary points get infinity, others the sum of
    their neighbours' normalised gaps per objective."""
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        distance[:] = np.inf
        return distance
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        values = points[order, j]
        distance[order[0]] = distance[order[-1]] = np.inf
        span = values[-1] - values[0]
        if span == 0:
            continue
        distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance


def hypervolume(points: np.ndarray, reference: tuple[float, float] = REFERENCE_POINT) -> float:
    """Area dominated by the points and bounded below by `reference` (maximisation)."""
    if len(points) == 0:
        return 0.0
    return float(moocore.hypervolume(points, ref=np.asarray(reference, dtype=float), maximise=True))


def rank_programs(records: Sequence[ProgramRecord]) -> list[Ranked]:
    """All records, best first: feasible by (rank, −crowding, −score), then infeasible by
    (−task_preservation, −score)."""
    feasible = [r for r in records if r.feasible]
    infeasible = [r for r in records if not r.feasible]
    ranked: list[Ranked] = []
    points = _points(feasible)
    ranks = pareto_ranks(points)
    for level in sorted(set(ranks.tolist())):
        members = np.flatnonzero(ranks == level)
        crowd = crowding_distance(points[members])
        ranked.extend(Ranked(feasible[i], level, float(c)) for i, c in zip(members, crowd, strict=True))
    ranked.sort(key=lambda x: (x.rank, -x.crowding, -x.record.score, x.record.program_id))
    next_rank = (int(ranks.max()) + 1) if len(ranks) else 0
    infeasible.sort(key=lambda r: (-r.task_preservation, -r.score, r.program_id))
    ranked.extend(Ranked(r, next_rank + i, 0.0) for i, r in enumerate(infeasible))
    return ranked


def pareto_front(records: Sequence[ProgramRecord]) -> list[ProgramRecord]:
    """The feasible non-dominated records (programs with identical objectives are all kept)."""
    return [r.record for r in rank_programs(records) if r.record.feasible and r.rank == 0]


def summarise(records: Sequence[ProgramRecord]) -> FrontSummary:
    """Front size, hypervolume and best feasible score: one row of the run's history.

    The driver calls this after every evaluation, so it sorts nothing: one non-dominated ranking of
    the feasible points (the same front as `pareto_front`) and the hypervolume of that front."""
    feasible = [r for r in records if r.feasible]
    points = _points(feasible)
    front = points[pareto_ranks(points) == 0]
    best = max(feasible, key=lambda r: (r.score, -r.program_id), default=None)
    return FrontSummary(
        front_size=len(front),
        hypervolume=hypervolume(front),
        best_score=best.score if best else None,
        best_program_id=best.program_id if best else None,
    )


def _dominates(a: ProgramRecord, b: ProgramRecord) -> bool:
    return (a.human_likeness >= b.human_likeness and a.coverage >= b.coverage
            and (a.human_likeness > b.human_likeness or a.coverage > b.coverage))


class Front:
    """`summarise` over every record added so far, kept up to date one insert at a time.

    The driver summarises after every evaluation; recomputing the front from the whole archive made
    each evaluation cost more as the archive grew. A new feasible record either is dominated by the
    front (nothing changes) or joins it and evicts what it dominates; the hypervolume is recomputed
    only when the front changed, over the front in the archive's order, as `summarise` does. A record
    that replaces an earlier one for the same program rebuilds the front from scratch."""

    def __init__(self) -> None:
        self._records: dict[int, ProgramRecord] = {}
        self._order: dict[int, int] = {}
        self._front: dict[int, ProgramRecord] = {}
        self._best: ProgramRecord | None = None
        self._hypervolume: float | None = 0.0

    def add(self, record: ProgramRecord) -> None:
        replaced = self._records.get(record.program_id)
        self._records[record.program_id] = record
        self._order.setdefault(record.program_id, len(self._order))
        if replaced is not None:
            self._rebuild()
        elif record.feasible:
            self._insert(record)

    def _insert(self, record: ProgramRecord) -> None:
        if self._best is None or (record.score, -record.program_id) > (self._best.score, -self._best.program_id):
            self._best = record
        if any(_dominates(member, record) for member in self._front.values()):
            return
        for pid in [pid for pid, member in self._front.items() if _dominates(record, member)]:
            del self._front[pid]
        self._front[record.program_id] = record
        self._hypervolume = None

    def _rebuild(self) -> None:
        self._front, self._best, self._hypervolume = {}, None, None
        for record in self._records.values():
            if record.feasible:
                self._insert(record)

    def summary(self) -> FrontSummary:
        if self._hypervolume is None:
            front = sorted(self._front.values(), key=lambda r: self._order[r.program_id])
            self._hypervolume = hypervolume(_points(front))
        best = self._best
        return FrontSummary(
            front_size=len(self._front),
            hypervolume=self._hypervolume,
            best_score=best.score if best else None,
            best_program_id=best.program_id if best else None,
        )
