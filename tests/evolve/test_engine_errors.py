"""An unexpected failure in one slot stops the run cleanly: in-flight work still commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from evopersona.config import RunConfig
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.store.models import EvaluationResult, Objectives
from evopersona.tasks import load_domain


class OneFailingExecutor:
    """Scores the first job it gets and raises on the second (a bug in the evaluation path)."""

    def __init__(self) -> None:
        self.jobs = 0

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        self.jobs += 1
        if self.jobs == 2:
            raise RuntimeError("boom in the evaluation path")
        await asyncio.sleep(0.05)
        objectives = Objectives(human_likeness=0.9, coverage=0.2, task_preservation=1.0, score=0.55, feasible=True)
        return EvaluationOutcome(program_id=job.program_id, stage="complete",
                                 result=EvaluationResult(status="done", objectives=objectives))

    def shutdown(self) -> None:
        """Nothing to release."""


def test_unexpected_error_stops_cleanly_and_keeps_finished_work(tmp_path: Path, run_engine):
    config = RunConfig(name="errors", runs_dir=str(tmp_path), search={"in_flight": 2, "max_evaluations": 10},
                       ray={"executor": "inline"})
    engine, store, stats = run_engine(config, OneFailingExecutor(), load_domain("retail")[:2])
    assert stats.stop_reason == "error"
    assert isinstance(engine.fatal, RuntimeError) and "boom" in str(engine.fatal)
    assert store.queued == 0, "the driver commits what it queued before it stops"
    counts = store.status_counts(engine.run_id)
    assert counts.get("done") == 1, "the evaluation in flight beside the failure was committed"
    assert counts.get("running") == 1, "the failed one is left to be re-run on resume"
