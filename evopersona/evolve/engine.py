"""The driver of an evolution run: asynchronous, steady-state, single writer of the database.

As many evaluations as configured are in flight; whenever one finishes, the islands are updated and
a new child is proposed (parent + inspirations → mutator → diff → checks → evaluation). Results are
queued in the store and committed together once per turn of the loop (before any new child is
stored), so a busy driver pays one transaction for all the evaluations that finished meanwhile. A
killed driver loses at most the results of its current turn: on resume, programs whose evaluation
never committed are evaluated again and no program is created twice.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from evopersona.config import RunConfig
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evolve.archive import Front, ProgramRecord
from evopersona.evolve.bandit import ModelBandit
from evopersona.evolve.diff import (
    ChildChecks,
    MutationRejected,
    NearDuplicateIndex,
    apply_mutation,
)
from evopersona.evolve.executor import Executor
from evopersona.evolve.islands import Islands, Migration
from evopersona.evolve.mutation_prompt import PromptProgram, build_mutation_prompt
from evopersona.evolve.novelty import Descriptor, NotNovel, NoveltyFilter
from evopersona.evolve.seeds import load_seed_code
from evopersona.evolve.strategy import ParentPolicy
from evopersona.llm.errors import BudgetExceeded, LLMCallFailed
from evopersona.llm.gateway import Gateway
from evopersona.store.models import Objectives, ProgressIn
from evopersona.store.store import Store
from evopersona.store.tables import EvaluationRow, ProgramRow
from evopersona.tasks import Task

StopReason = Literal["max_evaluations", "max_wall_time", "patience", "budget", "interrupted", "no_progress", "error"]


@dataclass
class EngineStats:
    """Live counters for the progress display and the final summary."""

    finished: int = 0
    in_flight: int = 0
    failed: int = 0
    infeasible: int = 0
    rejected_mutations: int = 0
    best_score: float | None = None
    best_program_id: int | None = None
    front_size: int = 0
    hypervolume: float = 0.0
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    evaluations_since_best: int = 0
    stop_reason: StopReason | None = None
    rejections: dict[str, int] = field(default_factory=dict)


class EvolutionEngine:
    def __init__(
        self,
        config: RunConfig,
        store: Store,
        executor: Executor,
        gateway: Gateway,
        tasks: list[Task],
        reference_dir: str,
        on_update: Callable[[EngineStats], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.executor = executor
        self.gateway = gateway
        self.tasks = tasks
        self.reference_dir = reference_dir
        self.on_update = on_update
        self.stats = EngineStats()
        self.islands = Islands(config.search, seed=config.seed)
        self.front = Front()
        self.parents = ParentPolicy(config.search, self.islands, seed=config.seed)
        self.bandit = ModelBandit(config.llm.mutator_models())
        self._awaiting_reward: dict[int, tuple[str, float]] = {}  # child id -> (model, parent score)
        self.near_duplicates = NearDuplicateIndex(config.search.near_duplicate_ratio)
        self.novelty = NoveltyFilter(config.search.novelty, config.sandbox, gateway, tasks[0] if tasks else None, config.seed)
        self.known_hashes: set[str] = set()
        self.rng = random.Random(config.seed)
        self.run_id = 0
        self._pending: list[EvaluationRow] = []
        self._programs: dict[int, ProgramRow] = {}
        self._objectives: dict[int, Objectives] = {}
        self._reflections: dict[int, str | None] = {}
        self._stopping = False
        self._started = time.monotonic()
        self._job_counter = 0
        self.fatal: BaseException | None = None

    # setup -----------------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Load the run's state from the database (new run: seed programs on their islands)."""
        run = self.store.create_or_get_run(self.config.name, self.config.model_dump(mode="json"))
        self.run_id = run.id
        self.store.requeue_running(self.run_id)
        for program in self.store.list_programs(self.run_id):
            self._remember_program(program)
        if not self._programs:
            self._add_seeds()
        for program, evaluation in self.store.finished_evaluations(self.run_id):
            self._absorb(program, evaluation.status, evaluation.objectives, evaluation.reflection)
        for move in self.store.migrations(self.run_id):
            self.islands.apply([Migration(move.program_id, move.from_island, move.to_island)], move.evaluations)
        self._pending = self.store.pending_evaluations(self.run_id)
        self._job_counter = self.stats.finished
        totals = self.store.llm_totals(self.run_id)
        self.stats.llm_calls, self.stats.tokens = totals.calls, totals.tokens_in + totals.tokens_out
        self.stats.cost_usd = totals.cost_usd
        self._record_driver_calls()
        self.store.flush()
        self._refresh_front()

    def _add_seeds(self) -> None:
        for index, name in enumerate(self.config.search.seed_programs):
            code = load_seed_code(name)
            program, created = self.store.add_program(
                self.run_id, code, island=index % self.config.search.islands, mutation_kind="seed", model=name
            )
            if created:
                self._remember_program(program)
                self.store.add_evaluation(program.id)

    def _remember_program(self, program: ProgramRow) -> None:
        self._programs[program.id] = program
        if program.mutation_kind == "seed":
            self.parents.seed_ids.add(program.id)
        self.known_hashes.add(program.code_hash)
        self.near_duplicates.add(str(program.id), program.code)
        self.novelty.add(program.id, program.code)

    def _absorb(self, program: ProgramRow, status: str, objectives: dict[str, Any] | None, reflection: str | None) -> None:
        """Count a finished evaluation and, when it has objectives, make it selectable."""
        self.stats.finished += 1
        self.stats.failed += status == "failed"
        self.stats.infeasible += status == "infeasible"
        self._reflections[program.id] = reflection
        reward = self._awaiting_reward.pop(program.id, None)
        if objectives is None:
            return
        parsed = Objectives.model_validate(objectives)
        if reward is not None and parsed.feasible:
            self.bandit.reward(reward[0], parsed.score - reward[1])
        self._objectives[program.id] = parsed
        record = ProgramRecord.from_objectives(program.id, program.island, parsed)
        self.islands.add(record)
        self.front.add(record)
        if parsed.feasible and (self.stats.best_score is None or parsed.score > self.stats.best_score + 1e-9):
            self.stats.best_score = parsed.score
            self.stats.best_program_id = program.id
            self.stats.evaluations_since_best = 0
        else:
            self.stats.evaluations_since_best += 1

    def _refresh_front(self) -> None:
        summary = self.front.summary()
        self.stats.front_size = summary.front_size
        self.stats.hypervolume = summary.hypervolume

    # the loop --------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Graceful stop (first Ctrl-C): propose nothing new, let in-flight evaluations finish."""
        self._stopping = True
        self.stats.stop_reason = self.stats.stop_reason or "interrupted"

    def _stop_reason(self) -> StopReason | None:
        search = self.config.search
        if self.stats.finished >= search.max_evaluations:
            return "max_evaluations"
        if search.max_wall_seconds is not None and time.monotonic() - self._started >= search.max_wall_seconds:
            return "max_wall_time"
        if search.patience is not None and self.stats.evaluations_since_best >= search.patience:
            return "patience"
        return None

    async def run(self) -> EngineStats:
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while True:
                reason = self._stop_reason()
                if reason and not self._stopping:
                    self.stats.stop_reason = reason
                    self._stopping = True
                budget_left = self.config.search.max_evaluations - self.stats.finished - len(in_flight)
                while (not self._stopping and len(in_flight) < self.config.search.in_flight and budget_left > 0
                       and self._can_start()):
                    pending = self._pending.pop(0) if self._pending else None
                    in_flight.add(asyncio.create_task(self._one_evaluation(pending)))
                    budget_left -= 1
                if not in_flight and not self._stopping and budget_left > 0 and not self._can_start():
                    self.stats.stop_reason = "no_progress"
                self.stats.in_flight = len(in_flight)
                self._notify()
                if not in_flight:
                    break
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    self._settle(task)
                self._commit()
        except asyncio.CancelledError:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            self.stats.stop_reason = "interrupted"
            raise
        finally:
            self._commit()
            self.stats.in_flight = 0
            self.novelty.close()
            self._notify()
        return self.stats

    def _commit(self) -> None:
        """Write what the store has queued (finished evaluations, rejections, the mutator's calls)."""
        try:
            self.store.flush()
        except Exception as error:  # noqa: BLE001 - as in _settle: stop, let in-flight work finish, report it
            self.stats.stop_reason = "error"
            self._stopping = True
            self.fatal = self.fatal or error

    def _can_start(self) -> bool:
        """A slot can start with a pending evaluation, or a child once some program has objectives."""
        return bool(self._pending) or bool(self.islands.records)

    def _settle(self, task: asyncio.Task[None]) -> None:
        error = task.exception()
        if error is None:
            return
        if isinstance(error, BudgetExceeded):
            self.stats.stop_reason = "budget"
            self._stopping = True
            return
        if isinstance(error, _NoChild):
            self.stats.stop_reason = self.stats.stop_reason or "no_progress"
            self._stopping = True
            return
        # An unexpected failure: let in-flight work finish and commit, then report it (the run stays resumable).
        self.stats.stop_reason = "error"
        self._stopping = True
        self.fatal = self.fatal or error

    def _notify(self) -> None:
        if self.on_update is not None:
            self.on_update(self.stats)

    # one slot: a pending evaluation, or a new child ------------------------------------------

    async def _one_evaluation(self, evaluation: EvaluationRow | None) -> None:
        if evaluation is not None:
            program = self._programs[evaluation.program_id]
            self.store.start_evaluation(evaluation.id)
        else:
            program, evaluation = await self._propose_child()
        outcome = await self._evaluate(program)
        self._account(outcome)
        if outcome.result.metrics.get("budget_exhausted"):
            self.stats.stop_reason = "budget"
            self._stopping = True
        self._absorb(program, outcome.result.status, _objectives_dict(outcome), outcome.result.reflection)
        self.store.queue_finish(self.run_id, evaluation.id, outcome.result, self._progress())

    def _account(self, outcome: EvaluationOutcome) -> None:
        for call in outcome.result.llm_calls:
            self.stats.llm_calls += 1
            self.stats.tokens += call.tokens_in + call.tokens_out
            self.stats.cost_usd += call.cost_usd

    def _progress(self) -> ProgressIn:
        """Migrate when due and update the front: the search's progress, committed with the evaluation."""
        moves: list[Migration] = []
        if self.islands.migration_due(self.stats.finished):
            moves = self.islands.migrate(self.stats.finished)
        self._refresh_front()
        return ProgressIn(
            evaluations=self.stats.finished,
            best_score=self.stats.best_score,
            hypervolume=self.stats.hypervolume,
            front_size=self.stats.front_size,
            migrations=[(m.program_id, m.from_island, m.to_island) for m in moves],
        )

    def _job_tasks(self) -> list[Task]:
        """A sliding window of `batch_size` tasks (all of them when the batch covers the pool)."""
        size = min(self.config.tasks.batch_size, len(self.tasks))
        start = (self._job_counter * size) % len(self.tasks)
        return [self.tasks[(start + i) % len(self.tasks)] for i in range(size)]

    async def _evaluate(self, program: ProgramRow) -> EvaluationOutcome:
        window = self._job_tasks()
        self._job_counter += 1
        job = EvaluationJob(
            program_id=program.id,
            code=program.code,
            tasks=window,
            personas_per_task=self.config.tasks.personas_per_task,
            seed=self.config.seed,
            config=self.config,
            reference_dir=self.reference_dir,
        )
        return await self.executor.submit(job)

    async def _propose_child(self) -> tuple[ProgramRow, EvaluationRow]:
        """Mutate a selected parent until a child passes the checks (another parent on each retry);
        the child is stored with its running evaluation."""
        last_reason: str | None = None
        for _attempt in range(self.config.search.max_mutation_attempts):
            island = self.islands.next_island()
            try:
                parent_record, inspirations = self.parents.choose(island)
            except ValueError:
                raise _NoChild("no evaluated program with objectives to mutate") from None
            parent = self._programs[parent_record.program_id]
            prompt = build_mutation_prompt(
                self._prompt_program(parent.id),
                reflection=self._reflections.get(parent.id),
                inspirations=[self._prompt_program(r.program_id) for r in inspirations],
                rng=self.rng,
                previous_rejection=last_reason,
            )
            model = self.bandit.choose()
            try:
                answer = await self.gateway.acomplete("mutator", prompt.messages, seed=self.rng.randrange(2**31),
                                                      model=model)
            except LLMCallFailed as exc:
                self.bandit.charge(model, 0.0)
                last_reason = str(exc)
                self._reject(parent.id, "llm_error", last_reason)
                continue
            finally:
                self._record_driver_calls()
            self.bandit.charge(model, answer.cost_usd)
            checks = ChildChecks(self.config.search.max_code_length, self.known_hashes, self.near_duplicates)
            try:
                child = apply_mutation(parent.code, answer.text, checks)
            except MutationRejected as exc:
                last_reason = f"{exc.kind}: {exc.reason}"
                self._reject(parent.id, exc.kind, exc.reason)
                continue
            try:
                descriptor = await self._novelty_check(parent, child.code)
            except NotNovel as exc:
                last_reason = f"{exc.kind}: {exc.reason}"
                self._reject(parent.id, exc.kind, exc.reason)
                continue
            finally:
                self._record_driver_calls()
            program, evaluation = self.store.add_child(
                self.run_id,
                child.code,
                parent_ids=[parent.id, *(r.program_id for r in inspirations)],
                island=island,
                mutation_kind=child.kind,
                mutation_angle=prompt.angle,
                model=model,
                generation=parent.generation + 1,
            )
            if evaluation is None:
                self._reject(parent.id, "duplicate", f"same code as program {program.id}")
                continue
            self._remember_program(program)
            if descriptor is not None:
                self.novelty.add(program.id, program.code, descriptor)
            parent_objectives = self._objectives.get(parent.id)
            self._awaiting_reward[program.id] = (model, parent_objectives.score if parent_objectives else 0.0)
            return program, evaluation
        raise _NoChild(f"{self.config.search.max_mutation_attempts} mutation attempts in a row were rejected: {last_reason}")

    async def _novelty_check(self, parent: ProgramRow, code: str) -> Descriptor | None:
        """The child's descriptor once it passed the novelty filter (None when the filter is off)."""
        if not self.novelty.active:
            return None
        await self.novelty.ensure_behaviour(parent.id, parent.code)
        descriptor = await self.novelty.describe(code)
        await self.novelty.check(descriptor)
        return descriptor

    def _prompt_program(self, program_id: int) -> PromptProgram:
        return PromptProgram(program_id, self._programs[program_id].code, self._objectives.get(program_id),
                             reflection=self._reflections.get(program_id))

    def _reject(self, parent_id: int, kind: str, reason: str) -> None:
        self.stats.rejected_mutations += 1
        self.stats.rejections[kind] = self.stats.rejections.get(kind, 0) + 1
        self.store.record_rejection(self.run_id, parent_id=parent_id, kind=kind, reason=reason, queue=True)
        self._notify()

    def _record_driver_calls(self) -> None:
        calls = self.gateway.ledger.drain()
        if calls:
            self.store.record_llm_calls(self.run_id, calls, queue=True)
            self.stats.llm_calls += len(calls)
            self.stats.tokens += sum(c.tokens_in + c.tokens_out for c in calls)
            self.stats.cost_usd += sum(c.cost_usd for c in calls)


class _NoChild(Exception):
    """No child could be proposed: stop the run cleanly with the reason."""


def _objectives_dict(outcome: EvaluationOutcome) -> dict[str, Any] | None:
    objectives = outcome.result.objectives
    return objectives.model_dump() if objectives is not None else None

