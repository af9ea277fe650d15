"""The Store: typed reads and writes of a run's rows. The driver is its single writer; the service
and reports only read.

Rows that need no id back (a finished evaluation with its personas, episodes, LLM calls and progress,
the mutator's LLM calls, rejections) can be queued: the next write or read of this Store, or
`flush()`, writes the whole queue first, in one transaction with that write, in the order the rows
were made. So the database always holds a prefix of the writes made, as if the driver had stopped
there: a crash loses at most the queued rows (their evaluations are still `running` and are run
again on resume), never part of an evaluation, and nothing is counted twice.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Self

from sqlalchemy import (
    Connection,
    Dialect,
    Insert,
    Table,
    bindparam,
    case,
    func,
    insert,
    update,
)
from sqlmodel import Session, SQLModel, col, select

from evopersona.errors import InputError
from evopersona.store.codehash import code_hash
from evopersona.store.engine import make_engine
from evopersona.store.models import (
    FINISHED_STATUSES,
    EvaluationResult,
    LLMCallIn,
    LLMTotals,
    ProgressIn,
    RoleTotals,
)
from evopersona.store.tables import (
    EpisodeRow,
    EvaluationRow,
    HistoryRow,
    LLMCallRow,
    MigrationRow,
    PersonaRow,
    ProgramRow,
    RejectionRow,
    RunRow,
    utcnow,
)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


@functools.cache
def _insert_statement(model: type[SQLModel]) -> Insert:
    return insert(_table(model))


@functools.cache
def _raw_insert(model: type[SQLModel], dialect: Dialect) -> tuple[str, list[str] | None, list[tuple[str, Any]]]:
    """The dialect's INSERT of every column but the id, the bind names in order for a positional
    paramstyle (None: by name), and each column's bind processor as SQLAlchemy would apply it."""
    table = _table(model)
    columns = [c.key for c in table.columns if not c.primary_key]
    compiled = insert(table).compile(dialect=dialect, column_keys=columns, for_executemany=True)
    processors = {c.key: c.type._cached_bind_processor(dialect) for c in table.columns if not c.primary_key}
    keys = list(compiled.positiontup) if compiled.positional and compiled.positiontup is not None else None
    order = keys if keys is not None else columns
    return compiled.string, keys, [(k, processors[k]) for k in order]


_PROGRAMS, _EVALUATIONS = _table(ProgramRow), _table(EvaluationRow)
# built once: the driver runs these for every child, and building a statement costs more than running it
_PROGRAM_BY_HASH = select(_PROGRAMS.c.id).where(_PROGRAMS.c.run_id == bindparam("run"),
                                                _PROGRAMS.c.code_hash == bindparam("digest"))
_PROGRAM_RUN = select(_PROGRAMS.c.run_id).where(_PROGRAMS.c.id == bindparam("program"))
_INSERT_PROGRAM = _insert_statement(ProgramRow)
_INSERT_EVALUATION = _insert_statement(EvaluationRow)
_FINISH_EVALUATION = (update(_EVALUATIONS).where(_EVALUATIONS.c.id == bindparam("evaluation"))
                      .returning(*_EVALUATIONS.c))
_FINISH_QUEUED = update(_EVALUATIONS).where(_EVALUATIONS.c.id == bindparam("evaluation"),
                                            _EVALUATIONS.c.run_id == bindparam("run"))
# queued inserts are written table by table in this order (each table's rows in the order they were
# queued, so ids are those of writing them one by one); every row they reference exists already
_QUEUED_TABLES: tuple[type[SQLModel], ...] = (PersonaRow, EpisodeRow, LLMCallRow, MigrationRow, HistoryRow,
                                              RejectionRow)


class Store:
    """All database access of a run. `url` is any SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, schema=schema)
        SQLModel.metadata.create_all(self.engine)
        self._queued_finishes: list[dict[str, Any]] = []
        self._queued_rows: dict[type[SQLModel], list[dict[str, Any]]] = {model: [] for model in _QUEUED_TABLES}

    def close(self) -> None:
        """Release the connections. Writes still queued are dropped, as a crash would drop them (the
        driver flushes before it stops; see the module docstring)."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _session(self) -> Session:
        self.flush()
        return Session(self.engine, expire_on_commit=False)

    # the queue -------------------------------------------------------------------------------

    @property
    def queued(self) -> int:
        """How many queued writes (finished evaluations and rows) wait for the next transaction."""
        return len(self._queued_finishes) + sum(len(rows) for rows in self._queued_rows.values())

    def flush(self) -> None:
        """Write everything queued, in one transaction."""
        if self.queued:
            with self._transaction():
                pass

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A write transaction that starts with the queue, so rows reach the database in the order
        they were made; the queue is dropped once committed (kept, and written again, on failure)."""
        with self.engine.begin() as conn:
            self._write_queue(conn)
            yield conn
        self._queued_finishes.clear()
        for rows in self._queued_rows.values():
            rows.clear()

    def _write_queue(self, conn: Connection) -> None:
        if self._queued_finishes:
            written = conn.execute(_FINISH_QUEUED, self._queued_finishes).rowcount
            if written != len(self._queued_finishes):
                raise InputError(f"{len(self._queued_finishes) - written} of {len(self._queued_finishes)} "
                                 "queued finished evaluations name no evaluation of their run")
        for model, rows in self._queued_rows.items():
            self._insert(conn, model, rows)

    # runs ------------------------------------------------------------------------------------

    def create_or_get_run(self, name: str, config: dict[str, Any]) -> RunRow:
        """The run called `name`; created with `config` if new (a resumed run keeps its stored config)."""
        with self._session() as session:
            run = session.exec(select(RunRow).where(RunRow.name == name)).first()
            if run is None:
                run = RunRow(name=name, config=config)
                session.add(run)
                session.commit()
                session.refresh(run)
            return run

    def get_run(self, name: str) -> RunRow | None:
        with self._session() as session:
            return session.exec(select(RunRow).where(RunRow.name == name)).first()

    def list_runs(self) -> list[RunRow]:
        with self._session() as session:
            return list(session.exec(select(RunRow).order_by(col(RunRow.id))))

    def set_run_status(self, run_id: int, status: str) -> None:
        with self._session() as session:
            run = self._require(session, RunRow, run_id)
            run.status = status
            run.updated_at = utcnow()
            session.add(run)
            session.commit()

    # programs --------------------------------------------------------------------------------

    def add_program(
        self,
        run_id: int,
        code: str,
        *,
        parent_ids: Sequence[int] = (),
        island: int = 0,
        mutation_kind: str | None = None,
        mutation_angle: str | None = None,
        model: str | None = None,
        generation: int = 0,
    ) -> tuple[ProgramRow, bool]:
        """Store a program; if the run already holds the same normalised code, return that row.

        Returns (row, created): created is False for a duplicate.
        """
        with self._transaction() as conn:
            row, created = self._insert_program(conn, run_id, code, parent_ids, island, mutation_kind,
                                                mutation_angle, model, generation)
        return row, created

    def add_child(
        self,
        run_id: int,
        code: str,
        *,
        parent_ids: Sequence[int],
        island: int,
        mutation_kind: str | None,
        mutation_angle: str | None,
        model: str | None,
        generation: int,
    ) -> tuple[ProgramRow, EvaluationRow | None]:
        """A new program with its running evaluation, in one transaction; (the existing row, None)
        when the run already holds the same normalised code."""
        with self._transaction() as conn:
            row, created = self._insert_program(conn, run_id, code, parent_ids, island, mutation_kind,
                                                mutation_angle, model, generation)
            if not created:
                return row, None
            return row, self._insert_evaluation(conn, run_id, row.id, "running")  # type: ignore[arg-type]

    def _insert_program(self, conn: Connection, run_id: int, code: str, parent_ids: Sequence[int], island: int,
                        mutation_kind: str | None, mutation_angle: str | None, model: str | None,
                        generation: int) -> tuple[ProgramRow, bool]:
        digest = code_hash(code)
        existing = conn.execute(_PROGRAM_BY_HASH, {"run": run_id, "digest": digest}).first()
        if existing is not None:
            with Session(conn) as session:
                return self._require(session, ProgramRow, existing.id), False
        values = {"run_id": run_id, "code": code, "code_hash": digest, "parent_ids": list(parent_ids),
                  "island": island, "mutation_kind": mutation_kind, "mutation_angle": mutation_angle,
                  "model": model, "generation": generation, "created_at": utcnow()}
        inserted = conn.execute(_INSERT_PROGRAM, values)
        return ProgramRow(id=inserted.inserted_primary_key[0], **values), True

    @staticmethod
    def _insert_evaluation(conn: Connection, run_id: int, program_id: int, status: str) -> EvaluationRow:
        now = utcnow()
        values = {"run_id": run_id, "program_id": program_id, "status": status, "objectives": None,
                  "metrics": {}, "error": None, "reflection": None, "timings": {}, "cost_usd": 0.0,
                  "llm_calls": 0, "created_at": now, "started_at": now if status == "running" else None,
                  "finished_at": None}
        inserted = conn.execute(_INSERT_EVALUATION, values)
        return EvaluationRow(id=inserted.inserted_primary_key[0], **values)

    def get_program(self, program_id: int) -> ProgramRow | None:
        with self._session() as session:
            return session.get(ProgramRow, program_id)

    def list_programs(self, run_id: int, *, island: int | None = None) -> list[ProgramRow]:
        query = select(ProgramRow).where(ProgramRow.run_id == run_id)
        if island is not None:
            query = query.where(ProgramRow.island == island)
        with self._session() as session:
            return list(session.exec(query.order_by(col(ProgramRow.id))))

    def code_hashes(self, run_id: int) -> set[str]:
        with self._session() as session:
            return set(session.exec(select(ProgramRow.code_hash).where(ProgramRow.run_id == run_id)))

    def lineage(self, program_id: int) -> list[ProgramRow]:
        """The program and its ancestors through first parents, newest first, ending at a seed."""
        chain: list[ProgramRow] = []
        seen: set[int] = set()
        with self._session() as session:
            current = session.get(ProgramRow, program_id)
            while current is not None and current.id not in seen:
                chain.append(current)
                seen.add(current.id)  # type: ignore[arg-type]
                current = session.get(ProgramRow, current.parent_ids[0]) if current.parent_ids else None
        return chain

    # evaluations -----------------------------------------------------------------------------

    def add_evaluation(self, program_id: int, *, status: str = "pending") -> EvaluationRow:
        if status not in ("pending", "running"):
            raise InputError(f"a new evaluation is pending or running, not {status!r}")
        with self._transaction() as conn:
            run_id = conn.execute(_PROGRAM_RUN, {"program": program_id}).scalar_one_or_none()
            if run_id is None:
                raise InputError(f"no programs row with id {program_id}")
            return self._insert_evaluation(conn, run_id, program_id, status)

    def start_evaluation(self, evaluation_id: int) -> EvaluationRow:
        with self._session() as session:
            row = self._require(session, EvaluationRow, evaluation_id)
            row.status = "running"
            row.started_at = utcnow()
            session.add(row)
            session.commit()
            return row

    def finish_evaluation(self, evaluation_id: int, result: EvaluationResult,
                          progress: ProgressIn | None = None) -> EvaluationRow:
        """Write the outcome, personas, episodes and LLM calls of one evaluation in one transaction,
        with the search's progress after it (history row and migrations) when given.

        Plain Core statements: building an ORM object per persona, episode and call, and reloading
        rows the caller already holds, cost the driver more than the commit itself."""
        now = utcnow()
        dumped = self._dump_result(result)
        with self._transaction() as conn:
            stored = conn.execute(_FINISH_EVALUATION, {"evaluation": evaluation_id,
                                                       **self._finished_values(result, dumped, now)}).first()
            if stored is None:
                raise InputError(f"no evaluations row with id {evaluation_id}")
            for model, rows in self._finished_rows(stored.run_id, evaluation_id, dumped, progress, now):
                self._insert(conn, model, rows)
        return EvaluationRow(**stored._asdict())

    def queue_finish(self, run_id: int, evaluation_id: int, result: EvaluationResult,
                     progress: ProgressIn | None = None) -> None:
        """`finish_evaluation` for an evaluation of run `run_id`, queued: the driver writes every
        evaluation finished in one turn of its loop in one transaction (see the module docstring)."""
        now = utcnow()
        dumped = self._dump_result(result)
        self._queued_finishes.append({"evaluation": evaluation_id, "run": run_id,
                                      **self._finished_values(result, dumped, now)})
        for model, rows in self._finished_rows(run_id, evaluation_id, dumped, progress, now):
            self._queued_rows[model].extend(rows)

    @staticmethod
    def _dump_result(result: EvaluationResult) -> dict[str, Any]:
        return result.model_dump(include={"objectives", "personas", "episodes", "llm_calls"})  # one serializer pass

    @staticmethod
    def _finished_values(result: EvaluationResult, dumped: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {"status": result.status, "objectives": dumped["objectives"], "metrics": result.metrics,
                "error": result.error, "reflection": result.reflection, "timings": result.timings,
                "cost_usd": sum(c.cost_usd for c in result.llm_calls), "llm_calls": len(result.llm_calls),
                "finished_at": now}

    def _finished_rows(self, run_id: int, evaluation_id: int, dumped: dict[str, Any], progress: ProgressIn | None,
                       now: datetime) -> list[tuple[type[SQLModel], list[dict[str, Any]]]]:
        rows: list[tuple[type[SQLModel], list[dict[str, Any]]]] = [
            (PersonaRow, [{"evaluation_id": evaluation_id, **p} for p in dumped["personas"]]),
            (EpisodeRow, [{"evaluation_id": evaluation_id, **e} for e in dumped["episodes"]]),
            (LLMCallRow, [{**c, "run_id": run_id, "evaluation_id": evaluation_id, "created_at": c["created_at"] or now}
                          for c in dumped["llm_calls"]]),
        ]
        if progress is not None:
            rows.append((MigrationRow, self._migration_rows(run_id, progress.migrations, progress.evaluations)))
            rows.append((HistoryRow, [{"run_id": run_id, **progress.model_dump(exclude={"migrations"}),
                                       "created_at": utcnow()}]))
        return rows

    def record_llm_calls(self, run_id: int, calls: Iterable[Any], *, evaluation_id: int | None = None,
                         queue: bool = False) -> int:
        """Store LLM calls made outside an evaluation (the mutator's); returns how many were written
        (or queued, with `queue`)."""
        rows = self._call_rows(run_id, evaluation_id, [LLMCallIn.model_validate(c, from_attributes=True) for c in calls])
        if queue:
            self._queued_rows[LLMCallRow].extend(rows)
        else:
            with self._transaction() as conn:
                self._insert(conn, LLMCallRow, rows)
        return len(rows)

    def get_evaluation(self, evaluation_id: int) -> EvaluationRow | None:
        with self._session() as session:
            return session.get(EvaluationRow, evaluation_id)

    def get_evaluation_for_program(self, program_id: int) -> EvaluationRow | None:
        """The program's latest evaluation (a re-run after a crash supersedes older ones)."""
        with self._session() as session:
            return session.exec(
                select(EvaluationRow).where(EvaluationRow.program_id == program_id).order_by(col(EvaluationRow.id).desc())
            ).first()

    def finished_evaluations(self, run_id: int) -> list[tuple[ProgramRow, EvaluationRow]]:
        """Every finished (done, failed or infeasible) evaluation of the run with its program, in finishing order."""
        query = (
            select(ProgramRow, EvaluationRow)
            .join(EvaluationRow, col(EvaluationRow.program_id) == col(ProgramRow.id))
            .where(EvaluationRow.run_id == run_id, col(EvaluationRow.status).in_(FINISHED_STATUSES))
            .order_by(col(EvaluationRow.finished_at), col(EvaluationRow.id))
        )
        with self._session() as session:
            return [(program, evaluation) for program, evaluation in session.exec(query)]

    def status_counts(self, run_id: int) -> dict[str, int]:
        query = (
            select(EvaluationRow.status, func.count())
            .where(EvaluationRow.run_id == run_id)
            .group_by(col(EvaluationRow.status))
        )
        with self._session() as session:
            return {status: int(count) for status, count in session.exec(query)}

    def first_failure(self, run_id: int) -> str | None:
        """The error of the run's earliest failed evaluation (why a run whose evaluations all fail failed)."""
        query = (
            select(EvaluationRow.error)
            .where(EvaluationRow.run_id == run_id, EvaluationRow.status == "failed")
            .order_by(col(EvaluationRow.finished_at), col(EvaluationRow.id))
        )
        with self._session() as session:
            return session.exec(query).first()

    def running_evaluations(self, run_id: int) -> list[EvaluationRow]:
        with self._session() as session:
            return list(session.exec(select(EvaluationRow).where(
                EvaluationRow.run_id == run_id, EvaluationRow.status == "running").order_by(col(EvaluationRow.id))))

    def requeue_running(self, run_id: int) -> list[EvaluationRow]:
        """On resume: evaluations left 'running' by a crashed driver go back to 'pending' to be re-run."""
        with self._session() as session:
            rows = list(session.exec(select(EvaluationRow).where(
                EvaluationRow.run_id == run_id, EvaluationRow.status == "running").order_by(col(EvaluationRow.id))))
            for row in rows:
                row.status = "pending"
                row.started_at = None
                session.add(row)
            session.commit()
            return rows

    def pending_evaluations(self, run_id: int) -> list[EvaluationRow]:
        with self._session() as session:
            return list(session.exec(select(EvaluationRow).where(
                EvaluationRow.run_id == run_id, EvaluationRow.status == "pending").order_by(col(EvaluationRow.id))))

    def personas(self, evaluation_id: int) -> list[PersonaRow]:
        with self._session() as session:
            return list(session.exec(select(PersonaRow).where(
                PersonaRow.evaluation_id == evaluation_id).order_by(col(PersonaRow.id))))

    def episodes(self, evaluation_id: int) -> list[EpisodeRow]:
        with self._session() as session:
            return list(session.exec(select(EpisodeRow).where(
                EpisodeRow.evaluation_id == evaluation_id).order_by(col(EpisodeRow.id))))

    # islands and progress --------------------------------------------------------------------

    def record_migrations(self, run_id: int, moves: Iterable[tuple[int, int, int]], *, evaluations: int) -> None:
        """Store (program_id, from_island, to_island) moves made after `evaluations` evaluations."""
        with self._transaction() as conn:
            self._insert(conn, MigrationRow, self._migration_rows(run_id, moves, evaluations))

    def migrations(self, run_id: int) -> list[MigrationRow]:
        with self._session() as session:
            return list(session.exec(select(MigrationRow).where(
                MigrationRow.run_id == run_id).order_by(col(MigrationRow.id))))

    def record_rejection(self, run_id: int, *, parent_id: int, kind: str, reason: str, queue: bool = False) -> None:
        """Store a mutator answer that produced no child (queued with `queue`)."""
        row = {"run_id": run_id, "parent_id": parent_id, "kind": kind, "reason": reason, "created_at": utcnow()}
        if queue:
            self._queued_rows[RejectionRow].append(row)
        else:
            with self._transaction() as conn:
                self._insert(conn, RejectionRow, [row])

    def rejection_counts(self, run_id: int) -> dict[str, int]:
        query = select(RejectionRow.kind, func.count()).where(RejectionRow.run_id == run_id).group_by(col(RejectionRow.kind))
        with self._session() as session:
            return {kind: int(count) for kind, count in session.exec(query)}

    def record_history(self, run_id: int, *, evaluations: int, best_score: float | None,
                       hypervolume: float, front_size: int) -> HistoryRow:
        values = {"run_id": run_id, "evaluations": evaluations, "best_score": best_score,
                  "hypervolume": hypervolume, "front_size": front_size, "created_at": utcnow()}
        with self._transaction() as conn:
            inserted = conn.execute(insert(_table(HistoryRow)).values(values))
        return HistoryRow(id=inserted.inserted_primary_key[0], **values)

    def history(self, run_id: int) -> list[HistoryRow]:
        with self._session() as session:
            return list(session.exec(select(HistoryRow).where(
                HistoryRow.run_id == run_id).order_by(col(HistoryRow.evaluations), col(HistoryRow.id))))

    # llm usage -------------------------------------------------------------------------------

    def llm_totals(self, run_id: int) -> LLMTotals:
        query = (
            select(LLMCallRow.role, func.count(), func.sum(LLMCallRow.tokens_in), func.sum(LLMCallRow.tokens_out),
                   func.sum(LLMCallRow.cost_usd), func.sum(case((col(LLMCallRow.cached), 1), else_=0)),
                   func.count(LLMCallRow.error))
            .where(LLMCallRow.run_id == run_id)
            .group_by(col(LLMCallRow.role))
        )
        totals = LLMTotals()
        with self._session() as session:
            for role, calls, tin, tout, cost, cached, errors in session.exec(query):
                part = RoleTotals(calls=calls, tokens_in=tin or 0, tokens_out=tout or 0, cost_usd=float(cost or 0.0))
                totals.by_role[role] = part
                totals.calls += part.calls
                totals.tokens_in += part.tokens_in
                totals.tokens_out += part.tokens_out
                totals.cost_usd += part.cost_usd
                totals.cached_calls += int(cached or 0)
                totals.errors += int(errors or 0)
        return totals

    # helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _call_rows(run_id: int, evaluation_id: int | None, calls: Sequence[LLMCallIn]) -> list[dict[str, Any]]:
        return [
            {"run_id": run_id, "evaluation_id": evaluation_id, **c.model_dump(exclude={"created_at"}),
             "created_at": c.created_at or utcnow()}
            for c in calls
        ]

    @staticmethod
    def _migration_rows(run_id: int, moves: Iterable[tuple[int, int, int]], evaluations: int) -> list[dict[str, Any]]:
        return [{"run_id": run_id, "program_id": p, "from_island": a, "to_island": b, "evaluations": evaluations,
                 "created_at": utcnow()} for p, a, b in moves]

    @staticmethod
    def _insert(conn: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        """Rows holding every column but the id, in one executemany of the driver's own statement:
        SQLAlchemy's per-row parameter handling cost the driver more than the database's work."""
        if rows:
            sql, keys, processors = _raw_insert(model, conn.dialect)
            if keys is None:
                conn.exec_driver_sql(sql, [{k: p(row[k]) if p else row[k] for k, p in processors} for row in rows])
            else:
                conn.exec_driver_sql(sql, [tuple(p(row[k]) if p else row[k] for k, p in processors) for row in rows])

    @staticmethod
    def _require(session: Session, table: type[Any], row_id: int) -> Any:
        row = session.get(table, row_id)
        if row is None:
            raise InputError(f"no {table.__tablename__} row with id {row_id}")
        return row
