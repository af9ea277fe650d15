"""Split bookkeeping: nothing from the test split may reach the discriminators or the evolution.

The reference folder records the ids it was fitted on (`splits.json`: human_train, human_test,
baseline_tasks). Before a comparison runs, these are checked against the domain's official task
split and against every named run (its evolution tasks and the humans its own reference trained on).
A violation is a bad input: the comparison would not be held out.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from evopersona.compare.conditions import NamedRun
from evopersona.compare.models import SplitBookkeeping
from evopersona.errors import InputError
from evopersona.evaluation.reference import REFERENCE_DIR, SPLIT_FILE
from evopersona.tasks import Task, load_tasks


class ReferenceSplits(BaseModel):
    human_train: list[str]
    human_test: list[str]
    baseline_tasks: list[str]


def read_splits(reference_dir: Path) -> ReferenceSplits:
    path = reference_dir / SPLIT_FILE
    if not path.is_file():
        raise InputError(f"{reference_dir}: the reference records no splits ({SPLIT_FILE} missing); rebuild it")
    try:
        return ReferenceSplits.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise InputError(f"{path}: unreadable split record ({exc})") from None


def _run_checks(run: NamedRun, domain: str, human_test: set[str]) -> dict[str, bool]:
    name = run.config.name
    checks: dict[str, bool] = {}
    if run.config.tasks.source == domain:
        checks[f"run {name} evolved on train tasks only"] = run.config.tasks.split == "train"
    run_splits = Path(run.run_dir) / REFERENCE_DIR / SPLIT_FILE
    if run_splits.is_file():
        trained = set(read_splits(run_splits.parent).human_train)
        checks[f"run {name} reference trained on no test human"] = not (trained & human_test)
    return checks


def check_splits(splits: ReferenceSplits, domain: str, split: str, tasks: list[Task],
                 runs: list[NamedRun]) -> SplitBookkeeping:
    """All leakage checks; raises InputError naming the first that fails."""
    train_ids = {t.id for t in load_tasks(domain, "train")}
    human_test = set(splits.human_test)
    checks = {
        "human train and test disjoint": not (set(splits.human_train) & human_test),
        "baseline tasks in the train split": set(splits.baseline_tasks) <= train_ids,
        f"evaluated tasks in the {split} split": all(t.split == split for t in tasks),
    }
    if split == "test":
        checks["evaluated tasks not among the baseline tasks"] = not ({t.id for t in tasks} & set(splits.baseline_tasks))
    for run in runs:
        checks.update(_run_checks(run, domain, human_test))
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise InputError(f"the comparison would not be held out: {'; '.join(failed)}")
    return SplitBookkeeping(human_train=len(splits.human_train), human_test=len(splits.human_test),
                            baseline_tasks=splits.baseline_tasks, evaluated_tasks=[t.id for t in tasks], checks=checks)
