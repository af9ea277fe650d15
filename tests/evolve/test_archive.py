"""Pareto archive against hand-computed fronts, crowding distances and hypervolumes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from evopersona.evolve.archive import (
    Front,
    ProgramRecord,
    crowding_distance,
    hypervolume,
    pareto_front,
    pareto_ranks,
    rank_programs,
    summarise,
)
from evopersona.store import Objectives


def rec(pid: int, hl: float, cov: float, *, pres: float = 1.0, island: int = 0) -> ProgramRecord:
    return ProgramRecord(pid, island, hl, cov, pres, 0.5 * hl + 0.5 * cov, pres >= 0.9)


RECORDS = [
    rec(1, 0.9, 0.1),  # A: front
    rec(2, 0.5, 0.5),  # B: front
    rec(3, 0.1, 0.9),  # C: front
    rec(4, 0.4, 0.4),  # D: dominated by B
    rec(5, 0.2, 0.2),  # E: dominated by B and D
    rec(6, 0.99, 0.99, pres=0.5),  # F: would dominate all, but infeasible
    rec(7, 0.95, 0.95, pres=0.8),  # G: infeasible, closer to the floor than F
]


def test_front_holds_only_feasible_non_dominated_programs() -> None:
    assert sorted(r.program_id for r in pareto_front(RECORDS)) == [1, 2, 3]


def test_ranks_and_crowding_match_hand_computation() -> None:
    ranked = rank_programs(RECORDS)
    by_id = {r.record.program_id: r for r in ranked}
    assert [(i, by_id[i].rank) for i in range(1, 8)] == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 2), (6, 4), (7, 3)]
    assert math.isinf(by_id[1].crowding) and math.isinf(by_id[3].crowding)
    # B's neighbours span each objective fully: (0.9-0.1)/0.8 + (0.9-0.1)/0.8 = 2
    assert by_id[2].crowding == pytest.approx(2.0)
    assert [r.record.program_id for r in ranked] == [1, 3, 2, 4, 5, 7, 6]


def test_crowding_distance_four_point_front() -> None:
    points = np.array([[0.0, 1.0], [0.2, 0.7], [0.6, 0.5], [1.0, 0.0]])
    d = crowding_distance(points)
    assert math.isinf(d[0]) and math.isinf(d[3])
    assert d[1] == pytest.approx(0.6 + 0.5)
    assert d[2] == pytest.approx(0.8 + 0.7)


def test_crowding_distance_with_a_flat_objective_uses_the_other_only() -> None:
    d = crowding_distance(np.array([[0.1, 0.5], [0.4, 0.5], [0.7, 0.5]]))
    assert d[1] == pytest.approx(1.0)


def test_hypervolume_matches_hand_computed_areas() -> None:
    # staircase areas from the highest human_likeness down: 0.9·0.1 + 0.5·0.4 + 0.1·0.4
    assert hypervolume(np.array([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]])) == pytest.approx(0.33)
    assert hypervolume(np.array([[1.0, 0.0], [0.6, 0.5], [0.2, 0.7], [0.0, 1.0]])) == pytest.approx(0.34)
    assert hypervolume(np.array([[0.5, 0.5]])) == pytest.approx(0.25)
    # a dominated point adds nothing
    assert hypervolume(np.array([[0.5, 0.5], [0.4, 0.4]])) == pytest.approx(0.25)
    assert hypervolume(np.zeros((0, 2))) == 0.0


def test_pareto_ranks_maximise() -> None:
    assert pareto_ranks(np.array([[1.0, 1.0], [0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])).tolist() == [0, 2, 1, 0]


def test_summary_ignores_infeasible_programs() -> None:
    summary = summarise(RECORDS)
    assert summary.front_size == 3
    assert summary.hypervolume == pytest.approx(0.33)
    assert summary.best_score == pytest.approx(0.5) and summary.best_program_id == 1


def test_summary_of_only_infeasible_programs_is_empty() -> None:
    summary = summarise([rec(1, 0.9, 0.9, pres=0.1)])
    assert (summary.front_size, summary.hypervolume, summary.best_score, summary.best_program_id) == (0, 0.0, None, None)
    assert [r.rank for r in rank_programs([rec(1, 0.9, 0.9, pres=0.1)])] == [0]


def test_record_from_objectives() -> None:
    o = Objectives(human_likeness=0.7, coverage=0.3, task_preservation=0.95, score=0.5, feasible=True)
    r = ProgramRecord.from_objectives(9, 2, o)
    assert (r.program_id, r.island, r.point, r.score, r.feasible) == (9, 2, (0.7, 0.3), 0.5, True)


def test_incremental_front_equals_the_whole_archive_summary_after_every_insert() -> None:
    rng = random.Random(12)
    grid = [i / 8 for i in range(9)]  # coarse values: ties, identical points and dominated repeats
    records: dict[int, ProgramRecord] = {}
    front = Front()
    for step in range(600):
        pid = step
        if step % 9 == 0 and records:  # a re-evaluation, often of a program on the front
            on_front = [r.program_id for r in pareto_front(list(records.values()))]
            pid = rng.choice(on_front if on_front and rng.random() < 0.7 else sorted(records))
        record = rec(pid, rng.choice(grid), rng.choice(grid), pres=rng.choice([1.0, 1.0, 1.0, 0.5]))
        records[pid] = record
        front.add(record)
        assert front.summary() == summarise(list(records.values()))
    assert front.summary().front_size > 1
