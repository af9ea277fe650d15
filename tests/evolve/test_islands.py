"""Islands: membership, ring migration, seeded parent selection and inspirations."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from evopersona.config import SearchConfig
from evopersona.evolve.archive import ProgramRecord, rank_programs
from evopersona.evolve.islands import Islands, Migration, _weight


def rec(pid: int, island: int, hl: float, cov: float, *, pres: float = 1.0) -> ProgramRecord:
    return ProgramRecord(pid, island, hl, cov, pres, 0.5 * hl + 0.5 * cov, pres >= 0.9)


def make(records: list[ProgramRecord], seed: int = 0, **search: object) -> Islands:
    islands = Islands(SearchConfig(**search), seed=seed)
    for r in records:
        islands.add(r)
    return islands


ISLAND0 = [rec(1, 0, 0.9, 0.1), rec(2, 0, 0.5, 0.5), rec(3, 0, 0.3, 0.3), rec(4, 0, 0.2, 0.1),
           rec(5, 0, 0.95, 0.95, pres=0.2)]


def test_members_follow_home_island_and_islands_take_turns() -> None:
    islands = make([rec(1, 0, 0.5, 0.5), rec(2, 1, 0.5, 0.5), rec(3, 6, 0.5, 0.5)], islands=5)
    assert [r.program_id for r in islands.members(1)] == [2, 3]
    assert [islands.next_island() for _ in range(7)] == [0, 1, 2, 3, 4, 0, 1]


def test_exploitation_picks_only_from_the_island_front() -> None:
    islands = make(ISLAND0, exploitation_ratio=1.0, exploration_ratio=0.0)
    picks = {islands.select_parent(0).program_id for _ in range(200)}
    assert picks == {1, 2}


def test_exploration_reaches_every_member() -> None:
    islands = make(ISLAND0, exploitation_ratio=0.0, exploration_ratio=1.0)
    assert {islands.select_parent(0).program_id for _ in range(300)} == {1, 2, 3, 4, 5}


def test_fitness_weighted_selection_favours_high_scores_and_penalises_infeasible() -> None:
    records = [rec(1, 0, 0.9, 0.9), rec(2, 0, 0.1, 0.1), rec(3, 0, 0.9, 0.9, pres=0.5)]
    islands = make(records, exploitation_ratio=0.0, exploration_ratio=0.0)
    counts = Counter(islands.select_parent(0).program_id for _ in range(2000))
    # weights 0.9 : 0.1 : 0.9·0.1·0.5 = 0.045 → about 86% : 10% : 4%
    assert counts[1] > 1600 and 120 < counts[2] < 290 and 30 < counts[3] < 140


def test_selection_is_reproducible_from_the_seed() -> None:
    first = make(ISLAND0, seed=7)
    second = make(ISLAND0, seed=7)
    assert [first.select_parent(0).program_id for _ in range(50)] == [second.select_parent(0).program_id for _ in range(50)]


def test_empty_island_borrows_from_all_and_no_programs_is_an_error() -> None:
    islands = make([rec(1, 0, 0.5, 0.5)], islands=3)
    assert islands.select_parent(2).program_id == 1
    with pytest.raises(ValueError, match="no evaluated programs"):
        make([]).select_parent(0)


def test_migration_moves_best_feasible_share_to_the_next_island_on_a_ring() -> None:
    records = ISLAND0 + [rec(10, 1, 0.6, 0.6), rec(11, 1, 0.1, 0.1), rec(20, 2, 0.7, 0.2)]
    islands = make(records, islands=3, migration_interval=10, migration_rate=0.4)
    assert not islands.migration_due(9)
    assert islands.migration_due(10)
    moves = islands.migrate(10)
    # island 0: ceil(0.4·5)=2 best feasible (1 and 2, never the infeasible 5); island 1: ceil(0.8)=1;
    # island 2 → island 0 (ring); island 1's migrant does not travel on to island 0 in the same round.
    assert moves == [Migration(1, 0, 1), Migration(2, 0, 1), Migration(10, 1, 2), Migration(20, 2, 0)]
    assert {r.program_id for r in islands.members(1)} == {10, 11, 1, 2}
    assert 20 in {r.program_id for r in islands.members(0)}
    assert not islands.migration_due(19) and islands.migration_due(20)
    again = islands.migrate(20)
    assert Migration(1, 0, 1) not in again  # already a member there


def test_single_island_never_migrates() -> None:
    islands = make([rec(1, 0, 0.5, 0.5)], islands=1, migration_interval=1)
    assert not islands.migration_due(100)
    assert islands.migrate(100) == []


def test_apply_replays_stored_migrations() -> None:
    islands = make([rec(1, 0, 0.5, 0.5)], islands=2)
    islands.apply([Migration(1, 0, 1)], evaluations=30)
    assert [r.program_id for r in islands.members(1)] == [1]
    assert islands.last_migration == 30


def test_inspirations_are_island_top_then_most_different() -> None:
    records = ISLAND0 + [rec(10, 1, 0.05, 0.95), rec(11, 1, 0.85, 0.15)]
    islands = make(records, islands=2)
    parent = islands.records[2]
    picks = islands.inspirations(parent, 0, count=3)
    # top half (2 of 3) from island 0's ranking without the parent: 1 (front), then 3 (second layer)
    # then the program farthest from {2, 1, 3}: 10 at (0.05, 0.95)
    assert [r.program_id for r in picks] == [1, 3, 10]
    assert islands.inspirations(parent, 0, count=0) == []
    assert len(make([rec(1, 0, 0.5, 0.5)]).inspirations(rec(1, 0, 0.5, 0.5), 0)) == 0


def _reference_parent(pool: list[ProgramRecord], rng: random.Random, config: SearchConfig) -> ProgramRecord:
    """Parent selection recomputed from scratch, as before islands cached their rankings."""
    draw = rng.random()
    if draw < config.exploitation_ratio:
        ranked = rank_programs(pool)
        return rng.choice([r.record for r in ranked if r.rank == ranked[0].rank])
    if draw < config.exploitation_ratio + config.exploration_ratio:
        return rng.choice(pool)
    return rng.choices(pool, weights=[_weight(r) for r in pool], k=1)[0]


def _reference_inspirations(records: dict[int, ProgramRecord], members: list[ProgramRecord], parent: ProgramRecord,
                            wanted: int) -> list[ProgramRecord]:
    chosen = [r.record for r in rank_programs(members) if r.record.program_id != parent.program_id][:math.ceil(wanted / 2)]
    taken = {parent.program_id, *(r.program_id for r in chosen)}
    candidates = [r for r in records.values() if r.feasible and r.program_id not in taken]
    anchors = [parent, *chosen]
    while len(chosen) < wanted and candidates:
        far = max(candidates, key=lambda r: (min(math.dist(r.point, a.point) for a in anchors), -r.program_id))
        chosen.append(far)
        anchors.append(far)
        candidates.remove(far)
    return chosen


def test_cached_selection_matches_selection_from_scratch_as_the_archive_changes() -> None:
    config = SearchConfig(islands=3, inspirations=3, migration_interval=15, migration_rate=0.3)
    islands = Islands(config, seed=5)
    reference_rng = random.Random(5)
    records: dict[int, ProgramRecord] = {}
    membership: list[dict[int, None]] = [{}, {}, {}]
    data = random.Random(9)
    grid = [i / 6 for i in range(7)]  # coarse values: ties in rank, crowding and distance
    for step in range(400):
        pid = data.choice(sorted(records)) if step % 11 == 0 and records else step  # some re-evaluations
        island = records[pid].island if pid in records else data.randrange(3)
        records[pid] = rec(pid, island, data.choice(grid), data.choice(grid), pres=data.choice([1.0, 1.0, 0.5]))
        membership[island][pid] = None
        islands.add(records[pid])
        if islands.migration_due(step):
            for move in islands.migrate(step):
                membership[move.to_island][move.program_id] = None
        target = data.randrange(3)
        members = [records[p] for p in membership[target]]
        parent = islands.select_parent(target)
        assert parent == _reference_parent(members or list(records.values()), reference_rng, config)
        assert islands.inspirations(parent, target) == _reference_inspirations(records, members, parent, 3)
        assert islands.ranking(target) == rank_programs(members)
