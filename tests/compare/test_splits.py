"""Split bookkeeping: every way test data could leak into training or evolution is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evopersona.compare.conditions import resolve_conditions
from evopersona.compare.splits import ReferenceSplits, check_splits, read_splits
from evopersona.errors import InputError
from evopersona.tasks import load_tasks

TRAIN = load_tasks("retail", "train")
TEST = load_tasks("retail", "test")


def _splits(**changes: list[str]) -> ReferenceSplits:
    base = {"human_train": ["h1", "h2", "h3"], "human_test": ["h4", "h5"], "baseline_tasks": [t.id for t in TRAIN[:3]]}
    return ReferenceSplits(**{**base, **changes})


def test_clean_bookkeeping_passes_and_records_its_checks() -> None:
    record = check_splits(_splits(), "retail", "test", TEST[:2], [])
    assert record.human_train == 3 and record.human_test == 2
    assert record.evaluated_tasks == [t.id for t in TEST[:2]]
    assert record.checks and all(record.checks.values())


@pytest.mark.parametrize("changes, message", [
    ({"human_train": ["h1", "h4"]}, "human train and test disjoint"),
    ({"baseline_tasks": [TEST[0].id]}, "baseline tasks in the train split"),
])
def test_leaks_in_the_reference_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_splits(_splits(**changes), "retail", "test", TEST[:2], [])


def test_evaluating_train_tasks_as_test_is_refused() -> None:
    with pytest.raises(InputError, match="evaluated tasks in the test split"):
        check_splits(_splits(), "retail", "test", [TRAIN[0]], [])


def test_a_run_evolved_on_test_tasks_is_refused(make_run) -> None:
    _, runs = resolve_conditions([f"{make_run('cheat', split='test')}:best"])
    with pytest.raises(InputError, match="run cheat evolved on train tasks only"):
        check_splits(_splits(), "retail", "test", TEST[:2], runs)


def test_a_run_whose_reference_trained_on_test_humans_is_refused(make_run) -> None:
    run_dir = make_run("peeked")
    (run_dir / "reference").mkdir()
    (run_dir / "reference" / "splits.json").write_text(json.dumps(_splits(human_train=["h5"]).model_dump()))
    _, runs = resolve_conditions([f"{run_dir}:best"])
    with pytest.raises(InputError, match="run peeked reference trained on no test human"):
        check_splits(_splits(), "retail", "test", TEST[:2], runs)


def test_a_reference_without_a_split_record_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="records no splits"):
        read_splits(tmp_path)
