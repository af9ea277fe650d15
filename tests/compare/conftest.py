"""Compare fixtures: a real run folder (config.json + SQLite database) holding evaluated programs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evopersona.config import RunConfig
from evopersona.resources import programs_dir
from evopersona.runs import save_run_config
from evopersona.store.models import EvaluationResult, Objectives
from evopersona.store.store import Store

MakeRun = Callable[..., Path]


@pytest.fixture
def make_run(tmp_path: Path) -> MakeRun:
    """A run named `name` in tmp_path/runs with the bundled axes_seed and direct_prompt programs evaluated
    (axes_seed scores best), or none; `split` is the task split the run evolved on."""

    def make(name: str = "evolved", split: str = "train", evaluated: bool = True) -> Path:
        config = RunConfig(name=name, seed=3, runs_dir=str(tmp_path / "runs"), tasks={"source": "retail", "split": split})
        save_run_config(config)
        with Store(config.storage_url()) as store:
            run = store.create_or_get_run(name, config.model_dump(mode="json"))
            for program, score in (("axes_seed.py", 0.6), ("direct_prompt.py", 0.4)) if evaluated else ():
                row, _ = store.add_program(run.id, (programs_dir() / program).read_text(encoding="utf-8"))
                evaluation = store.add_evaluation(row.id, status="running")
                objectives = Objectives(human_likeness=score, coverage=score, task_preservation=1.0, score=score, feasible=True)
                store.finish_evaluation(evaluation.id, EvaluationResult(status="done", objectives=objectives))
        return config.run_dir()

    return make
