"""Islands: separate sub-populations that evolve apart and exchange their best programs along a
ring, so one lucky lineage cannot take over the whole search. Parent selection mixes exploitation
(the island's Pareto front), exploration (any island member) and fitness-weighted sampling; the
mutator also sees inspirations (the island's top programs and the most different ones overall).

Pure and seeded: no database access; the engine feeds evaluated records in and persists migrations.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from evopersona.config import SearchConfig
from evopersona.evolve.archive import ProgramRecord, rank_programs

# Infeasible programs stay selectable (a fix may be one edit away) but are sampled far less often.
INFEASIBLE_WEIGHT = 0.1
MIN_WEIGHT = 1e-6


@dataclass(frozen=True, slots=True)
class Migration:
    program_id: int
    from_island: int
    to_island: int


class Islands:
    """Island membership of evaluated programs, migration along a ring, and parent selection."""

    def __init__(self, config: SearchConfig, seed: int) -> None:
        self.config = config
        self.count = config.islands
        self.rng = random.Random(seed)
        self.records: dict[int, ProgramRecord] = {}
        self._members: list[dict[int, None]] = [{} for _ in range(self.count)]  # ordered sets
        self._cursor = 0
        self.last_migration = 0

    # membership ------------------------------------------------------------------------------

    def add(self, record: ProgramRecord) -> None:
        """Add (or update) an evaluated program in its home island."""
        self.records[record.program_id] = record
        self._members[record.island % self.count][record.program_id] = None

    def members(self, island: int) -> list[ProgramRecord]:
        return [self.records[pid] for pid in self._members[island % self.count]]

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
            members = self.members(island)
            if not members:
                continue
            quota = max(1, math.ceil(self.config.migration_rate * len(members)))
            target = (island + 1) % self.count
            best = [r.record for r in rank_programs(members) if r.record.feasible][:quota]
            moves.extend(Migration(r.program_id, island, target) for r in best
                         if r.program_id not in self._members[target])
        self.apply(moves, evaluations)
        return moves

    def apply(self, moves: Iterable[Migration], evaluations: int) -> None:
        """Replay stored migrations (on resume) or apply fresh ones."""
        for move in moves:
            self._members[move.to_island % self.count][move.program_id] = None
        self.last_migration = max(self.last_migration, evaluations)

    # selection -------------------------------------------------------------------------------

    def select_parent(self, island: int) -> ProgramRecord:
        """Exploit the island's front with probability exploitation_ratio, explore a random member
        with exploration_ratio, otherwise sample in proportion to score (an empty island borrows
        from all islands)."""
        pool = self.members(island) or list(self.records.values())
        if not pool:
            raise ValueError("no evaluated programs to select a parent from")
        draw = self.rng.random()
        if draw < self.config.exploitation_ratio:
            ranked = rank_programs(pool)
            front = [r.record for r in ranked if r.rank == ranked[0].rank]
            return self.rng.choice(front)
        if draw < self.config.exploitation_ratio + self.config.exploration_ratio:
            return self.rng.choice(pool)
        return self.rng.choices(pool, weights=[_weight(r) for r in pool], k=1)[0]

    def inspirations(self, parent: ProgramRecord, island: int, count: int | None = None) -> list[ProgramRecord]:
        """Up to `count` (default config.inspirations) programs other than the parent: the island's
        best half first, then the feasible programs farthest in objective space from those chosen."""
        wanted = self.config.inspirations if count is None else count
        chosen: list[ProgramRecord] = []
        for ranked in rank_programs(self.members(island)):
            if len(chosen) >= math.ceil(wanted / 2):
                break
            if ranked.record.program_id != parent.program_id:
                chosen.append(ranked.record)
        taken = {parent.program_id, *(r.program_id for r in chosen)}
        candidates = [r for r in self.records.values() if r.feasible and r.program_id not in taken]
        anchors = [parent, *chosen]
        while len(chosen) < wanted and candidates:
            far = max(candidates, key=lambda r: (min(_distance(r, a) for a in anchors), -r.program_id))
            chosen.append(far)
            anchors.append(far)
            candidates.remove(far)
        return chosen


def _weight(record: ProgramRecord) -> float:
    weight = max(record.score, MIN_WEIGHT)
    return weight if record.feasible else weight * INFEASIBLE_WEIGHT * max(record.task_preservation, MIN_WEIGHT)


def _distance(a: ProgramRecord, b: ProgramRecord) -> float:
    return math.dist(a.point, b.point)
