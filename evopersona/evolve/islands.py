"""Islands: separate sub-populations that evolve apart and exchange their best programs along a
ring, so one lucky lineage cannot take over the whole search. Parent selection mixes exploitation
(the island's Pareto front), exploration (any island member) and fitness-weighted sampling; the
mutator also sees inspirations (the island's top programs and the most different ones overall).

Pure and seeded: no database access; the engine feeds evaluated records in and persists migrations.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from evopersona.config import SearchConfig
from evopersona.evolve.archive import ProgramRecord, Ranked, rank_programs

# Infeasible programs stay selectable (a fix may be one edit away) but are sampled far less often.
INFEASIBLE_WEIGHT = 0.1
MIN_WEIGHT = 1e-6


@dataclass(frozen=True, slots=True)
class Migration:
    program_id: int
    from_island: int
    to_island: int


@dataclass
class _IslandView:
    """What selection reads about one island, computed once per change of the island."""

    members: list[ProgramRecord]
    ranked: list[Ranked] | None = None
    front: list[ProgramRecord] | None = None
    cum_weights: list[float] | None = None


class Islands:
    """Island membership of evaluated programs, migration along a ring, and parent selection.

    Selection runs for every child, so each island's members, ranking, front and sampling weights
    are cached until the island changes, and the search for the most different inspirations runs
    over an array of the feasible programs' objectives."""

    def __init__(self, config: SearchConfig, seed: int) -> None:
        self.config = config
        self.count = config.islands
        self.rng = random.Random(seed)
        self.records: dict[int, ProgramRecord] = {}
        self._members: list[dict[int, None]] = [{} for _ in range(self.count)]  # ordered sets
        self._views: list[_IslandView | None] = [None] * self.count
        self._feasible = _FeasiblePoints()
        self._cursor = 0
        self.last_migration = 0

    # membership ------------------------------------------------------------------------------

    def add(self, record: ProgramRecord) -> None:
        """Add (or update) an evaluated program in its home island."""
        replaced = self.records.get(record.program_id)
        self.records[record.program_id] = record
        self._members[record.island % self.count][record.program_id] = None
        if replaced is None:
            self._views[record.island % self.count] = None
            if record.feasible:
                self._feasible.append(record)
        else:  # its copies on other islands change too
            self._views = [None] * self.count
            self._feasible = _FeasiblePoints(r for r in self.records.values() if r.feasible)

    def members(self, island: int) -> list[ProgramRecord]:
        return list(self._view(island).members)

    def _view(self, island: int) -> _IslandView:
        index = island % self.count
        view = self._views[index]
        if view is None:
            view = self._views[index] = _IslandView([self.records[pid] for pid in self._members[index]])
        return view

    def ranking(self, island: int) -> list[Ranked]:
        """`rank_programs` of the island's members (cached until the island changes; do not modify)."""
        view = self._view(island)
        if view.ranked is None:
            view.ranked = rank_programs(view.members)
        return view.ranked

    def next_island(self) -> int:
        """Islands take turns producing children (round robin)."""
        island = self._cursor
        self._cursor = (self._cursor + 1) % self.count
        return island

    # migration -------------------------------------------------------------------------------

    def migration_due(self, evaluations: int) -> bool:
        return self.count > 1 and evaluations - self.last_migration >= self.config.migration_interval

    def migrate(self, evaluations: int) -> list[Migration]:
        """Copy each island's best feasible programs (by rank, then crowding) to the next island.

        The share moved is `migration_rate` of the island (at least one); decided on a snapshot, so a
        migrant does not travel on around the ring in the same round.
        """
        self.last_migration = evaluations
        if self.count == 1:
            return []
        moves: list[Migration] = []
        for island in range(self.count):
            members = self._view(island).members
            if not members:
                continue
            quota = max(1, math.ceil(self.config.migration_rate * len(members)))
            target = (island + 1) % self.count
            best = [r.record for r in self.ranking(island) if r.record.feasible][:quota]
            moves.extend(Migration(r.program_id, island, target) for r in best
                         if r.program_id not in self._members[target])
        self.apply(moves, evaluations)
        return moves

    def apply(self, moves: Iterable[Migration], evaluations: int) -> None:
        """Replay stored migrations (on resume) or apply fresh ones."""
        for move in moves:
            self._members[move.to_island % self.count][move.program_id] = None
            self._views[move.to_island % self.count] = None
        self.last_migration = max(self.last_migration, evaluations)

    # selection -------------------------------------------------------------------------------

    def select_parent(self, island: int) -> ProgramRecord:
        """Exploit the island's front with probability exploitation_ratio, explore a random member
        with exploration_ratio, otherwise sample in proportion to score (an empty island borrows
        from all islands)."""
        view = self._view(island)
        if not view.members:
            return self._select(_IslandView(list(self.records.values())))
        return self._select(view)

    def _select(self, view: _IslandView) -> ProgramRecord:
        pool = view.members
        if not pool:
            raise ValueError("no evaluated programs to select a parent from")
        draw = self.rng.random()
        if draw < self.config.exploitation_ratio:
            if view.front is None:
                ranked = view.ranked if view.ranked is not None else rank_programs(pool)
                view.ranked = ranked
                view.front = [r.record for r in ranked if r.rank == ranked[0].rank]
            return self.rng.choice(view.front)
        if draw < self.config.exploitation_ratio + self.config.exploration_ratio:
            return self.rng.choice(pool)
        if view.cum_weights is None:
            view.cum_weights = list(itertools.accumulate(_weight(r) for r in pool))
        return self.rng.choices(pool, cum_weights=view.cum_weights, k=1)[0]

    def inspirations(self, parent: ProgramRecord, island: int, count: int | None = None) -> list[ProgramRecord]:
        """Up to `count` (default config.inspirations) programs other than the parent: the island's
        best half first, then the feasible programs farthest in objective space from those chosen."""
        wanted = self.config.inspirations if count is None else count
        chosen: list[ProgramRecord] = []
        for ranked in self.ranking(island):
            if len(chosen) >= math.ceil(wanted / 2):
                break
            if ranked.record.program_id != parent.program_id:
                chosen.append(ranked.record)
        if len(chosen) < wanted:
            chosen += self._feasible.farthest([parent, *chosen], wanted - len(chosen))
        return chosen


class _FeasiblePoints:
    """The feasible records in archive order with their objectives as an array: picking the program
    farthest from a few anchors scans the whole archive for every child."""

    # numpy's and math.dist's distances may differ in the last bit: candidates within this of the
    # numpy maximum are decided exactly as before, by math.dist
    TOLERANCE = 1e-9

    def __init__(self, records: Iterable[ProgramRecord] = ()) -> None:
        self.records: list[ProgramRecord] = []
        self.index: dict[int, int] = {}
        self._points = np.zeros((0, 2))
        for record in records:
            self.append(record)

    def append(self, record: ProgramRecord) -> None:
        self.index[record.program_id] = len(self.records)
        self.records.append(record)
        if len(self.records) > len(self._points):
            self._points = np.resize(self._points, (max(64, 2 * len(self._points)), 2))
        self._points[len(self.records) - 1] = record.point

    def farthest(self, anchors: list[ProgramRecord], count: int) -> list[ProgramRecord]:
        """Greedily, up to `count` records (not anchors) farthest from all anchors and those picked
        before them (ties: the lowest program id)."""
        points = self._points[:len(self.records)]
        nearest = np.full(len(self.records), np.inf)
        taken = np.zeros(len(self.records), dtype=bool)
        for anchor in anchors:
            if anchor.program_id in self.index:
                taken[self.index[anchor.program_id]] = True
        for anchor in anchors:
            nearest = np.minimum(nearest, np.hypot(points[:, 0] - anchor.point[0], points[:, 1] - anchor.point[1]))
        anchors = list(anchors)
        picked: list[ProgramRecord] = []
        while len(picked) < count and not taken.all():
            score = np.where(taken, -np.inf, nearest)
            close = np.flatnonzero(score >= score.max() - self.TOLERANCE)
            far = max((self.records[i] for i in close),
                      key=lambda r: (min(_distance(r, a) for a in anchors), -r.program_id))
            picked.append(far)
            anchors.append(far)
            taken[self.index[far.program_id]] = True
            nearest = np.minimum(nearest, np.hypot(points[:, 0] - far.point[0], points[:, 1] - far.point[1]))
        return picked


def _weight(record: ProgramRecord) -> float:
    weight = max(record.score, MIN_WEIGHT)
    return weight if record.feasible else weight * INFEASIBLE_WEIGHT * max(record.task_preservation, MIN_WEIGHT)


def _distance(a: ProgramRecord, b: ProgramRecord) -> float:
    return math.dist(a.point, b.point)
