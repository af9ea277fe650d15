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
