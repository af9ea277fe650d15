"""The Store on SQLite and PostgreSQL: runs, program dedupe, lineage, evaluation lifecycle, resume,
history, LLM totals and the queue of writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from evopersona.errors import InputError
from evopersona.store import (
    EpisodeIn,
    EvaluationResult,
    LLMCallIn,
    Objectives,
    PersonaIn,
    Store,
)
from evopersona.store.models import ProgressIn
from evopersona.store.tables import (
    EpisodeRow,
    EvaluationRow,
    HistoryRow,
    LLMCallRow,
    MigrationRow,
    PersonaRow,
    RejectionRow,
)

SEED = '''"""A seed."""
AXES = []


def generate(task, n, llm, rng):
    # one persona per slot
    return []
'''


def _objectives(hl: float, cov: float, pres: float = 1.0) -> Objectives:
    return Objectives(human_likeness=hl, coverage=cov, task_preservation=pres, score=0.5 * hl + 0.5 * cov,
                      feasible=pres >= 0.9)


def _result(hl: float = 0.6, cov: float = 0.4) -> EvaluationResult:
    return EvaluationResult(
        status="done",
        objectives=_objectives(hl, cov),
        metrics={"dice": {"D1": 0.7}},
        reflection="terse personas read as human",
        timings={"generate": 1.5, "episodes": 3.0},
        personas=[PersonaIn(task_id="t1", persona_id="p1", description="a terse buyer",
                            axis_placement={"terse": True}, policy="write short fragments")],
        episodes=[EpisodeIn(task_id="t1", persona_id="p1", transcript={"turns": [{"role": "user", "text": "hi"}]},
                            ended_by="stop", agent_success=True)],
        llm_calls=[LLMCallIn(role="generator", model="offline/generator", tokens_in=100, tokens_out=50, cost_usd=0.01),
                   LLMCallIn(role="user", model="offline/user", tokens_in=10, tokens_out=5, cost_usd=0.002, cached=True)],
    )


def test_create_or_get_run_returns_the_same_run_and_keeps_its_config(store: Store) -> None:
    first = store.create_or_get_run("quick", {"seed": 1})
    again = store.create_or_get_run("quick", {"seed": 2})
    assert again.id == first.id
    assert again.config == {"seed": 1}
    store.set_run_status(first.id, "running")
    run = store.get_run("quick")
    assert run is not None and run.status == "running"
    assert run.updated_at >= run.created_at
    assert [r.name for r in store.list_runs()] == ["quick"]


def test_add_program_dedupes_by_normalised_code_within_a_run(store: Store) -> None:
    run = store.create_or_get_run("a", {})
    other = store.create_or_get_run("b", {})
    seed, created = store.add_program(run.id, SEED, island=2, mutation_kind="seed")
    assert created and seed.island == 2 and len(seed.code_hash) == 64
    reformatted = SEED.replace("# one persona per slot\n", "").replace('"""A seed."""', '"""Another docstring."""')
    same, created_again = store.add_program(run.id, reformatted)
    assert not created_again and same.id == seed.id
    elsewhere, created_elsewhere = store.add_program(other.id, SEED)
    assert created_elsewhere and elsewhere.id != seed.id
    assert store.code_hashes(run.id) == {seed.code_hash}


def test_lineage_follows_first_parents_back_to_the_seed(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    root, _ = store.add_program(run.id, SEED)
    child, _ = store.add_program(run.id, SEED + "\nX = 1\n", parent_ids=[root.id], generation=1,
                                 mutation_kind="diff", mutation_angle="edit the axes", model="offline/mutator")
    grandchild, _ = store.add_program(run.id, SEED + "\nX = 2\n", parent_ids=[child.id, root.id], generation=2)
    assert [p.id for p in store.lineage(grandchild.id)] == [grandchild.id, child.id, root.id]
    fetched = store.get_program(child.id)
    assert fetched is not None and fetched.parent_ids == [root.id] and fetched.mutation_angle == "edit the axes"
    assert [p.id for p in store.list_programs(run.id)] == [root.id, child.id, grandchild.id]
    assert store.get_program(10_000) is None


def test_finish_evaluation_writes_everything_in_one_commit(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    evaluation = store.add_evaluation(program.id)
    assert evaluation.status == "pending"
    assert store.start_evaluation(evaluation.id).status == "running"
    store.finish_evaluation(evaluation.id, _result())

    stored = store.get_evaluation_for_program(program.id)
    assert stored is not None and stored.status == "done"
    assert Objectives.model_validate(stored.objectives) == _objectives(0.6, 0.4)
    assert stored.llm_calls == 2 and stored.cost_usd == pytest.approx(0.012)
    assert stored.timings == {"generate": 1.5, "episodes": 3.0}
    assert stored.finished_at is not None and stored.finished_at.tzinfo is not None
    assert [p.policy for p in store.personas(evaluation.id)] == ["write short fragments"]
    episode = store.episodes(evaluation.id)[0]
    assert episode.transcript["turns"][0]["text"] == "hi" and episode.agent_success is True
    [(prog, ev)] = store.finished_evaluations(run.id)
    assert prog.id == program.id and ev.id == evaluation.id


def test_failed_and_infeasible_evaluations_count_as_finished(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    a, _ = store.add_program(run.id, SEED)
    b, _ = store.add_program(run.id, SEED + "\nY = 1\n")
    c, _ = store.add_program(run.id, SEED + "\nY = 2\n")
    store.finish_evaluation(store.add_evaluation(a.id).id,
                            EvaluationResult(status="failed", error="generate() returned 3 records, expected 5"))
    store.finish_evaluation(store.add_evaluation(b.id).id,
                            EvaluationResult(status="infeasible", objectives=_objectives(0.9, 0.9, pres=0.5)))
    store.add_evaluation(c.id, status="running")
    assert store.status_counts(run.id) == {"failed": 1, "infeasible": 1, "running": 1}
    assert {ev.status for _, ev in store.finished_evaluations(run.id)} == {"failed", "infeasible"}
    failed = store.get_evaluation_for_program(a.id)
    assert failed is not None and failed.error == "generate() returned 3 records, expected 5" and failed.objectives is None


def test_requeue_running_turns_stale_rows_back_to_pending(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    stale = store.add_evaluation(program.id, status="running")
    assert stale.started_at is not None
    assert [e.id for e in store.running_evaluations(run.id)] == [stale.id]
    requeued = store.requeue_running(run.id)
    assert [e.id for e in requeued] == [stale.id]
    assert store.running_evaluations(run.id) == []
    [pending] = store.pending_evaluations(run.id)
    assert pending.id == stale.id and pending.started_at is None


def test_latest_evaluation_of_a_program_wins(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    store.add_evaluation(program.id)
    second = store.add_evaluation(program.id)
    latest = store.get_evaluation_for_program(program.id)
    assert latest is not None and latest.id == second.id


def test_unknown_ids_and_bad_status_are_input_errors(store: Store) -> None:
    with pytest.raises(InputError, match="no programs row with id 999"):
        store.add_evaluation(999)
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    with pytest.raises(InputError, match="pending or running"):
        store.add_evaluation(program.id, status="done")


def test_history_and_migrations_come_back_in_order(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    store.record_history(run.id, evaluations=10, best_score=0.55, hypervolume=0.3, front_size=3)
    store.record_history(run.id, evaluations=5, best_score=0.5, hypervolume=0.2, front_size=2)
    assert [(h.evaluations, h.hypervolume, h.front_size) for h in store.history(run.id)] == [(5, 0.2, 2), (10, 0.3, 3)]
    store.record_migrations(run.id, [(program.id, 0, 1)], evaluations=10)
    [move] = store.migrations(run.id)
    assert (move.program_id, move.from_island, move.to_island, move.evaluations) == (program.id, 0, 1, 10)


def test_llm_totals_sum_evaluation_and_mutator_calls_by_role(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, _ = store.add_program(run.id, SEED)
    store.finish_evaluation(store.add_evaluation(program.id).id, _result())
    when = datetime(2026, 1, 1, tzinfo=UTC)
    written = store.record_llm_calls(run.id, [
        LLMCallIn(role="mutator", model="offline/mutator", tokens_in=1000, tokens_out=400, cost_usd=0.1, created_at=when),
        LLMCallIn(role="mutator", model="offline/mutator", error="rate limited"),
    ])
    assert written == 2
    totals = store.llm_totals(run.id)
    assert totals.calls == 4 and totals.tokens_in == 1110 and totals.tokens_out == 455
    assert totals.cost_usd == pytest.approx(0.112)
    assert totals.cached_calls == 1 and totals.errors == 1
    assert totals.by_role["mutator"].calls == 2 and totals.by_role["user"].cost_usd == pytest.approx(0.002)


def test_llm_calls_accept_ledger_like_records_by_attribute(store: Store) -> None:
    class LedgerRecord:
        role = "judge"
        model = "offline/judge"
        tokens_in = 7
        tokens_out = 3
        cost_usd = 0.0
        latency_s = 0.25
        cached = False
        error = None
        created_at = datetime(2026, 2, 1, tzinfo=UTC)

    run = store.create_or_get_run("r", {})
    store.record_llm_calls(run.id, [LedgerRecord()])
    assert store.llm_totals(run.id).by_role["judge"].tokens_in == 7


def test_rejections_are_recorded_and_counted(store):
    run = store.create_or_get_run("rej", {})
    program, _ = store.add_program(run.id, "AXES = []\ndef generate(task, n, llm, rng):\n    return []\n")
    store.record_rejection(run.id, parent_id=program.id, kind="syntax", reason="line 3: invalid syntax")
    store.record_rejection(run.id, parent_id=program.id, kind="syntax", reason="line 9: invalid syntax")
    store.record_rejection(run.id, parent_id=program.id, kind="duplicate", reason="same code")
    assert store.rejection_counts(run.id) == {"syntax": 2, "duplicate": 1}


# the queue -----------------------------------------------------------------------------------

_TIMES = {"created_at", "started_at", "finished_at"}


def _committed(store: Store, model: type, **where: object) -> list[dict[str, object]]:
    """Rows as another reader sees them (straight from the database, bypassing this Store's queue),
    in id order, without ids and timestamps."""
    table = model.__table__  # type: ignore[attr-defined]
    query = select(table).where(*(table.c[k] == v for k, v in where.items())).order_by(table.c.id)
    with store.engine.connect() as conn:
        return [{k: v for k, v in row._asdict().items() if k not in _TIMES | {"id"}} for row in conn.execute(query)]


def _running(store: Store, run_id: int, code: str) -> tuple[int, int]:
    program, _ = store.add_program(run_id, code)
    return program.id, store.add_evaluation(program.id, status="running").id  # type: ignore[return-value]


def _progress(evaluations: int, migrations: list[tuple[int, int, int]]) -> ProgressIn:
    return ProgressIn(evaluations=evaluations, best_score=0.5, hypervolume=0.24, front_size=1, migrations=migrations)


def test_a_queued_finish_writes_what_finish_evaluation_writes_once_flushed(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    (a, plain), (b, queued) = _running(store, run.id, SEED), _running(store, run.id, SEED + "\nX = 1\n")
    store.finish_evaluation(plain, _result(), _progress(1, [(a, 0, 1)]))
    store.queue_finish(run.id, queued, _result(), _progress(2, [(b, 1, 2)]))
    assert store.queued == 1 + 1 + 1 + 2 + 1 + 1  # the evaluation, persona, episode, 2 calls, migration, history
    assert _committed(store, EvaluationRow, id=queued)[0]["status"] == "running", "nothing written before a flush"
    assert _committed(store, PersonaRow, evaluation_id=queued) == []
    store.flush()
    assert store.queued == 0
    [(plain_row, queued_row)] = [(_committed(store, EvaluationRow, id=plain), _committed(store, EvaluationRow, id=queued))]
    assert {**plain_row[0], "program_id": b} == queued_row[0]
    for model in (PersonaRow, EpisodeRow, LLMCallRow):
        assert ([{**row, "evaluation_id": queued} for row in _committed(store, model, evaluation_id=plain)]
                == _committed(store, model, evaluation_id=queued))
    assert [(h["evaluations"], h["hypervolume"]) for h in _committed(store, HistoryRow)] == [(1, 0.24), (2, 0.24)]
    assert [(m["program_id"], m["to_island"]) for m in _committed(store, MigrationRow)] == [(a, 1), (b, 2)]


def test_queued_rows_keep_the_order_they_were_made_in(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    (program, first), (_, second) = _running(store, run.id, SEED), _running(store, run.id, SEED + "\nX = 1\n")
    mutator = LLMCallIn(role="mutator", model="offline/mutator")
    store.queue_finish(run.id, first, _result())
    store.record_llm_calls(run.id, [mutator], queue=True)
    store.record_rejection(run.id, parent_id=program, kind="syntax", reason="line 1", queue=True)
    store.record_llm_calls(run.id, [mutator.model_copy(update={"model": "offline/other"})])  # writes the queue first
    assert store.queued == 0 and len(_committed(store, RejectionRow)) == 1
    store.queue_finish(run.id, second, _result())
    assert store.status_counts(run.id) == {"done": 2}, "a read of this Store writes its queue first"
    assert [(c["model"], c["evaluation_id"]) for c in _committed(store, LLMCallRow)] == [
        ("offline/generator", first), ("offline/user", first), ("offline/mutator", None), ("offline/other", None),
        ("offline/generator", second), ("offline/user", second)]


def test_a_flush_is_all_or_nothing_and_kept_when_it_fails(store: Store) -> None:
    run, other = store.create_or_get_run("r", {}), store.create_or_get_run("other", {})
    _, evaluation = _running(store, run.id, SEED)
    _, elsewhere = _running(store, other.id, SEED)
    store.queue_finish(run.id, evaluation, _result(), _progress(1, []))
    store.queue_finish(run.id, elsewhere, _result())  # an evaluation of another run
    queued = store.queued
    with pytest.raises(InputError, match="1 of 2 queued finished evaluations"):
        store.flush()
    assert store.queued == queued, "kept, to be written again"
    assert [e["status"] for e in _committed(store, EvaluationRow)] == ["running", "running"], "left to be re-run"
    for model in (PersonaRow, EpisodeRow, LLMCallRow, HistoryRow):
        assert _committed(store, model) == [], f"{model.__tablename__}: no part of a failed flush is written"


def test_the_bulk_insert_stores_what_sqlalchemy_core_stores(store: Store) -> None:
    run = store.create_or_get_run("r", {})
    program, evaluation = _running(store, run.id, SEED)
    when = datetime(2026, 3, 4, 5, 6, 7, 890_123, tzinfo=UTC)
    rows = {
        PersonaRow: [{"evaluation_id": evaluation, "task_id": "t", "persona_id": "p", "description": "naïve “quotes” \\n",
                      "axis_placement": {"terse": True, "ünï": False}, "policy": "x" * 3000}],
        EpisodeRow: [{"evaluation_id": evaluation, "task_id": "t", "persona_id": None, "ended_by": "stop",
                      "transcript": {"turns": [{"role": "user", "text": "é\\u0000ok"}], "n": 1.5e-7, "none": None},
                      "agent_success": None},
                     {"evaluation_id": evaluation, "task_id": "t", "persona_id": "p", "ended_by": "loop",
                      "transcript": {}, "agent_success": False}],
        LLMCallRow: [{"run_id": run.id, "evaluation_id": None, "role": "mutator", "model": "m", "tokens_in": 3,
                      "tokens_out": 0, "cost_usd": 0.1 + 0.2, "latency_s": 1e-3, "cached": True, "error": None,
                      "created_at": when}],
        MigrationRow: [{"run_id": run.id, "program_id": program, "from_island": 0, "to_island": 3, "evaluations": 7,
                        "created_at": when}],
        HistoryRow: [{"run_id": run.id, "evaluations": 1, "best_score": None, "hypervolume": 0.0, "front_size": 0,
                      "created_at": when}],
        RejectionRow: [{"run_id": run.id, "parent_id": program, "kind": "syntax", "reason": "line 1: ‘x’",
                        "created_at": when}],
    }
    for model, made in rows.items():
        table = model.__table__  # type: ignore[attr-defined]
        with store.engine.begin() as conn:
            conn.execute(insert(table), made)
            Store._insert(conn, model, made)
        with store.engine.connect() as conn:  # as the database holds them, not as SQLAlchemy reads them back
            stored = [{k: v for k, v in row._asdict().items() if k != "id"}
                      for row in conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY id")]
        assert stored[len(made):] == stored[:len(made)], model.__tablename__
