"""The driver commits the evaluations that finish in one turn of its loop in one transaction, and
what it commits is complete: every finished evaluation with its rows, in the order they were made."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from evopersona.config import RunConfig
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evolve.engine import EvolutionEngine
from evopersona.llm.ledger import Ledger
from evopersona.llm.transport import Answer
from evopersona.store.models import (
    EpisodeIn,
    EvaluationResult,
    LLMCallIn,
    Objectives,
    PersonaIn,
)
from evopersona.store.store import Store
from evopersona.tasks import load_domain


class InstantExecutor:
    """Answers every job at the next turn of the loop with one persona, one episode and two calls."""

    def __init__(self) -> None:
        self.jobs = 0

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        self.jobs += 1
        await asyncio.sleep(0)
        score = (self.jobs * 37 % 100) / 100
        objectives = Objectives(human_likeness=score, coverage=1 - score, task_preservation=1.0, score=0.5, feasible=True)
        task = job.tasks[0].id
        result = EvaluationResult(
            status="done", objectives=objectives,
            personas=[PersonaIn(task_id=task, persona_id="p0", description="terse", policy="be brief")],
            episodes=[EpisodeIn(task_id=task, persona_id="p0", transcript={"turns": []}, ended_by="stop")],
            llm_calls=[LLMCallIn(role="user", model="offline/user"), LLMCallIn(role="agent", model="offline/agent")])
        return EvaluationOutcome(program_id=job.program_id, stage="complete", result=result)

    def shutdown(self) -> None:
        """Nothing to release."""


class InstantMutator:
    """Answers every mutation at once with the parent plus one new constant (a valid, new child)."""

    def __init__(self) -> None:
        self.ledger = Ledger()
        self.calls = 0

    async def acomplete(self, role: str, messages: list[dict[str, str]], seed: int | None = None,
                        model: str | None = None) -> Answer:
        self.calls += 1
        parent = messages[-1]["content"].split("```python\n", 1)[1].split("```", 1)[0]
        return Answer(text=f"```python\n{parent}\nTUNING_{self.calls} = {self.calls}\n```", tokens_in=0, tokens_out=0,
                      cost_usd=0.0)

    def close(self) -> None:
        """Nothing to release."""


def test_results_of_one_turn_share_a_transaction_and_all_of_them_are_committed(tmp_path: Path) -> None:
    config = RunConfig(name="commits", runs_dir=str(tmp_path), search={"in_flight": 4, "max_evaluations": 16},
                       ray={"executor": "inline"})
    config.run_dir().mkdir(parents=True)
    store = Store(config.storage_url())
    try:
        engine = EvolutionEngine(config, store, InstantExecutor(), InstantMutator(), load_domain("retail")[:2],  # type: ignore[arg-type]
                                 str(tmp_path))
        engine.bootstrap()
        commits = [0]
        event.listen(store.engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
        stats = asyncio.run(engine.run())
        assert stats.finished == 16 and store.queued == 0
    finally:
        store.close()
    seeds = len(config.search.seed_programs)
    # a seed's evaluation starts (1 each) and each child's insert commits (with whatever was queued
    # before it), then each turn of the loop once more: the first turn finishes the seeds, each
    # next one 4 evaluations. Committing every result on its own would add one per evaluation.
    assert commits[0] == seeds + (stats.finished - seeds) + 1 + math.ceil((stats.finished - seeds) / 4), commits[0]
    with sqlite3.connect(Path(config.storage_url().removeprefix("sqlite:///"))) as db:
        assert db.execute("select count(*) from evaluations where status = 'done'").fetchone()[0] == 16
        assert db.execute("select count(*) from personas").fetchone()[0] == 16
        assert db.execute("select count(*) from run_history").fetchone()[0] == 16
        sequence = [e for (e,) in db.execute("select evaluation_id from llm_calls where evaluation_id is not null order by id")]
        finished = [e for (e,) in db.execute("select id from evaluations order by finished_at, id")]
    assert sequence == [e for e in finished for _ in range(2)], "calls are written in the order evaluations finished"


class CancellingExecutor(InstantExecutor):
    """Cancels the driver (a second Ctrl-C) just as its `at`-th evaluation finishes."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.main: asyncio.Task[object] | None = None

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        number = self.jobs + 1
        outcome = await super().submit(job)
        if number == self.at and self.main is not None:
            self.main.cancel()
        return outcome


def test_a_cancelled_driver_commits_the_results_it_queued_before_it_stops(tmp_path: Path) -> None:
    config = RunConfig(name="cancel", runs_dir=str(tmp_path), search={"in_flight": 4, "max_evaluations": 40},
                       ray={"executor": "inline"})
    config.run_dir().mkdir(parents=True)
    executor = CancellingExecutor(at=7)
    store = Store(config.storage_url())
    try:
        engine = EvolutionEngine(config, store, executor, InstantMutator(), load_domain("retail")[:2],  # type: ignore[arg-type]
                                 str(tmp_path))
        engine.bootstrap()

        async def drive() -> object:
            executor.main = asyncio.current_task()
            return await engine.run()

        with pytest.raises(asyncio.CancelledError):
            asyncio.run(drive())
        assert store.queued == 0
    finally:
        store.close()
    with sqlite3.connect(Path(config.storage_url().removeprefix("sqlite:///"))) as db:
        done = db.execute("select count(*) from evaluations where status = 'done'").fetchone()[0]
    assert done == engine.stats.finished >= 7, "the evaluation that finished as the driver was cancelled is kept"
