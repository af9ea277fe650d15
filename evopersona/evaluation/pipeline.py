"""Evaluate one generator program, cheapest checks first (the cascade).

1. contract: the program runs in the sandbox on the first task and returns valid records;
2. preservation: its policies for that task keep the task (rules; an LLM judge when configured);
   below the floor the program is infeasible and no episode is run;
3. generation for the other tasks and one episode per persona (each task's episodes start as soon
   as its personas exist, so generation overlaps conversations), then the fitness objectives and a
   reflection text for the mutator.
A failure at any stage ends the evaluation with its stage and reason stored.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome, Stage
from evopersona.evaluation.realism import JudgeAnchors, judge_realism
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.judges import judge_policy
from evopersona.fitness.objectives import Objectives as FitnessObjectives
from evopersona.fitness.objectives import TaskPopulation, compute_objectives
from evopersona.fitness.preservation import PreservationVerdict, check_policy_rules, preservation_score
from evopersona.fitness.reference import FitnessReference
from evopersona.fitness.reflection import PersonaRow as ReflectionRow
from evopersona.fitness.reflection import SampleDialogue, reflect
from evopersona.generator import PersonaRecord, ProgramFailed
from evopersona.llm.errors import BudgetExceeded
from evopersona.llm.ledger import Ledger, scoped_ledger
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.episode import EpisodeRequest, run_episodes
from evopersona.simulate.prompts import user_prompt_style
from evopersona.simulate.transcript import Transcript
from evopersona.store.models import EpisodeIn, EvaluationResult, Objectives, PersonaIn
from evopersona.tasks import Task


class _Stop(Exception):
    def __init__(self, stage: Stage, status: str, reason: str) -> None:
        super().__init__(reason)
        self.stage, self.status, self.reason = stage, status, reason


async def generate(pool: SandboxPool, code: str, task: Task, n: int, seed: int) -> tuple[list[PersonaRecord], bool]:
    """Run the program for one task in the sandbox (on the pool's own threads: see sandbox/pool.py)."""
    output = await pool.arun(code, task.generator_view(), n, seed)
    return output.records, output.no_persona


async def check_preservation(gateway: Any, records: list[PersonaRecord], task: Task, use_judge: bool, seed: int) -> list[PreservationVerdict]:
    """Rules for every policy; with the judge enabled a policy must also pass the LLM judge."""
    verdicts = [check_policy_rules(r.policy, task) if r.policy else PreservationVerdict(passed=True, reasons=[]) for r in records]
    if not use_judge:
        return verdicts
    judged = await asyncio.gather(
        *(judge_policy(gateway, r.policy, task, seed=seed) for r in records if r.policy)
    )
    merged: list[PreservationVerdict] = []
    it = iter(judged)
    for record, rule in zip(records, verdicts, strict=True):
        if not record.policy:
            merged.append(rule)
            continue
        judge = next(it)
        merged.append(PreservationVerdict(passed=rule.passed and judge.passed, reasons=rule.reasons + judge.reasons,
                                          judge_unparseable=judge.judge_unparseable))
    return merged


def judge_unparseable(verdicts: list[list[PreservationVerdict]]) -> int:
    """How many policies the preservation judge could not read a verdict for (the rules alone decided)."""
    return sum(v.judge_unparseable for per_task in verdicts for v in per_task)


def _store_objectives(objectives: FitnessObjectives) -> Objectives:
    return Objectives(
        human_likeness=objectives.human_likeness,
        coverage=objectives.coverage,
        task_preservation=objectives.task_preservation,
        score=objectives.score,
        feasible=objectives.feasible,
    )


async def _reflection(gateway: Any, objectives: FitnessObjectives, populations: list[TaskPopulation],
                      placements: list[dict[str, bool]], seed: int) -> str:
    chosen = objectives.metrics["per_task"]
    p_human = [p for task in chosen for p in task["p_human"]]
    preserved = [ok for task in chosen for ok in task["preserved"]]
    policies = [p for pop in populations for p in pop.policies]
    dialogues = [d for pop in populations for d in pop.dialogues]
    rows = [
        ReflectionRow(p_human=p, behaviours=sorted(k for k, on in placement.items() if on), preserved=ok)
        for p, placement, ok in zip(p_human, placements, preserved, strict=True)
    ]
    order = sorted(range(len(p_human)), key=lambda i: p_human[i])
    picks = sorted(set(order[:2] + order[-2:]))
    fps = fingerprint_many([dialogues[i] for i in picks]) if picks else []
    samples = [
        SampleDialogue(policy=policies[i], p_human=p_human[i], features=dict(zip(FEATURE_NAMES, map(float, fp), strict=True)),
                       user_turns=dialogues[i])
        for i, fp in zip(picks, fps, strict=True)
    ]
    return await reflect(gateway, objectives, rows, samples, seed=seed)


async def evaluate_program(job: EvaluationJob, gateway: Any, pool: SandboxPool, reference: FitnessReference) -> EvaluationOutcome:
    """The whole cascade for one job; never raises for a bad program (the outcome says why).

    Its LLM calls are collected in a ledger of its own, so evaluations sharing a gateway are each
    charged exactly their calls."""
    with scoped_ledger() as ledger:
        return await _cascade(job, gateway, pool, reference, ledger)


async def _cascade(job: EvaluationJob, gateway: Any, pool: SandboxPool, reference: FitnessReference,
                   ledger: Ledger) -> EvaluationOutcome:
    timings: dict[str, float] = {}
    personas: list[PersonaIn] = []
    episodes: list[EpisodeIn] = []
    fitness = job.config.fitness
    n = job.personas_per_task
    start = time.perf_counter()
    stage: Stage = "contract"
    try:
        try:
            first, no_persona = await generate(pool, job.code, job.tasks[0], n, job.seed)
        except ProgramFailed as exc:
            raise _Stop("contract", "failed", f"{exc}") from None
        timings["contract_s"] = time.perf_counter() - start

        stage = "preservation"
        use_judge = fitness.llm_preservation_judge
        first_verdicts = await check_preservation(gateway, first, job.tasks[0], use_judge, job.seed)
        first_share = preservation_score(first_verdicts)
        if first_share < fitness.preservation_floor:
            reasons = sorted({r for v in first_verdicts for r in v.reasons})
            unreadable = judge_unparseable([first_verdicts])
            raise _Stop("preservation", "infeasible",
                        f"task preservation {first_share:.2f} < floor {fitness.preservation_floor} on task "
                        f"{job.tasks[0].key}: {'; '.join(reasons[:5])}"
                        + (f" (judge unparseable for {unreadable} of {len(first_verdicts)} policies)" if unreadable else ""))
        timings["preservation_s"] = time.perf_counter() - start - timings["contract_s"]

        stage = "generation"
        t0 = time.perf_counter()
        talks = _Talks(job, gateway, no_persona)
        try:
            talks.start(0, first)
            try:
                rest = await asyncio.gather(*(_generate_and_talk(pool, job, i, talks) for i in range(1, len(job.tasks))))
            except ProgramFailed as exc:
                raise _Stop("generation", "failed", f"{exc}") from None
            records_by_task = [first, *rest]
            timings["generation_s"] = time.perf_counter() - t0
            for task, records in zip(job.tasks, records_by_task, strict=True):
                personas += [PersonaIn(task_id=task.id, persona_id=r.persona_id, description=r.description,
                                       axis_placement=r.axis_placement, policy=r.policy) for r in records]
            verdicts_by_task = [first_verdicts, *await asyncio.gather(*(
                check_preservation(gateway, records, task, use_judge, job.seed)
                for task, records in zip(job.tasks[1:], records_by_task[1:], strict=True)
            ))]

            stage = "episodes"
            transcripts = await talks.all()
        finally:
            talks.close()
        episodes = [_episode_row(t) for t in transcripts]
        errors = [t.error for t in transcripts if t.ended_by == "error"]
        if len(errors) > len(transcripts) // 2:
            raise _Stop("episodes", "failed", f"{len(errors)} of {len(transcripts)} episodes failed: {errors[0]}")
        timings["episodes_s"] = time.perf_counter() - talks.started_at

        stage = "fitness"
        t0 = time.perf_counter()
        populations = []
        cursor = 0
        for task, records, verdicts in zip(job.tasks, records_by_task, verdicts_by_task, strict=True):
            chunk = transcripts[cursor: cursor + len(records)]
            cursor += len(records)
            populations.append(TaskPopulation(task=task, policies=[r.policy for r in records],
                                              dialogues=[t.user_turns() for t in chunk], verdicts=verdicts))
        objectives = await asyncio.to_thread(compute_objectives, populations, reference, fitness)
        if use_judge:
            objectives.metrics["judge_unparseable"] = judge_unparseable(verdicts_by_task)
        if fitness.realism_judges:
            anchors = JudgeAnchors.load(Path(job.reference_dir))
            if anchors is None:
                raise _Stop("fitness", "failed", "realism judges are on but the reference has no judge anchors; rebuild it")
            dialogues = [d for pop in populations for d in pop.dialogues]
            objectives.metrics["judges"] = await judge_realism(gateway, dialogues, anchors, job.seed)
        timings["fitness_s"] = time.perf_counter() - t0

        reflection = None
        if job.reflect:
            t0 = time.perf_counter()
            placements = [r.axis_placement for records in records_by_task for r in records]
            reflection = await _reflection(gateway, objectives, populations, placements, job.seed)
            timings["reflection_s"] = time.perf_counter() - t0
        timings["total_s"] = time.perf_counter() - start
        status = "done" if objectives.feasible else "infeasible"
        result = EvaluationResult(
            status=status, objectives=_store_objectives(objectives), metrics={**objectives.metrics, "stage": "complete"},
            reflection=reflection, timings=timings, personas=personas, episodes=episodes,
            llm_calls=ledger.drain(),
        )
        return EvaluationOutcome(program_id=job.program_id, stage="complete", result=result)
    except _Stop as stop:
        timings["total_s"] = time.perf_counter() - start
        result = EvaluationResult(status=stop.status, error=f"{stop.stage}: {stop.reason}", metrics={"stage": stop.stage},
                                  timings=timings, personas=personas, episodes=episodes, llm_calls=ledger.drain())
        return EvaluationOutcome(program_id=job.program_id, stage=stop.stage, result=result)
    except BudgetExceeded as exc:
        result = EvaluationResult(status="failed", error=f"{stage}: budget exhausted: {exc}", metrics={"stage": stage, "budget_exhausted": True},
                                  timings=timings, personas=personas, episodes=episodes, llm_calls=ledger.drain())
        return EvaluationOutcome(program_id=job.program_id, stage=stage, result=result)


class _Talks:
    """The episodes of one evaluation, started task by task as soon as that task's personas exist.

    Generating the other tasks' personas (sandbox round trips) then overlaps the first task's
    conversations instead of leaving the LLM idle. Each task's episodes share the user role's
    concurrency (the gateway holds every role to its concurrency across them); transcripts keep
    the order of the job's tasks."""

    def __init__(self, job: EvaluationJob, gateway: Any, no_persona: bool) -> None:
        self._job, self._gateway, self._no_persona = job, gateway, no_persona
        self._running: dict[int, asyncio.Task[list[Transcript]]] = {}
        self._closed = False
        self.started_at = time.perf_counter()

    def start(self, position: int, records: list[PersonaRecord]) -> None:
        """Start the episodes of the job's task at `position` (nothing once the evaluation ended)."""
        if self._closed:
            return
        if not self._running:
            self.started_at = time.perf_counter()
        task = self._job.tasks[position]
        requests = [
            EpisodeRequest(task=task, policy=None if self._no_persona else r.policy,
                           max_turns=self._job.config.episodes.max_turns, seed=self._job.seed + index,
                           persona_id=r.persona_id, user_prompt=user_prompt_style(self._job.config.llm))
            for index, r in enumerate(records)
        ]
        concurrency = self._job.config.llm.role("user").concurrency
        self._running[position] = asyncio.ensure_future(run_episodes(requests, self._gateway, concurrency=concurrency))

    async def all(self) -> list[Transcript]:
        """Every transcript, in the order of the job's tasks."""
        chunks = await asyncio.gather(*(self._running[i] for i in range(len(self._job.tasks))))
        return [t for chunk in chunks for t in chunk]

    def close(self) -> None:
        """Stop conversations still running when the evaluation ends early, and start no more."""
        self._closed = True
        for running in self._running.values():
            if not running.done():
                running.cancel()
            elif not running.cancelled():
                running.exception()  # retrieved: the evaluation already ended with its own reason


async def _generate_and_talk(pool: SandboxPool, job: EvaluationJob, position: int, talks: _Talks) -> list[PersonaRecord]:
    records, _ = await generate(pool, job.code, job.tasks[position], job.personas_per_task, job.seed)
    talks.start(position, records)
    return records

def _episode_row(transcript: Transcript) -> EpisodeIn:
    return EpisodeIn(task_id=transcript.task_id, persona_id=transcript.persona_id,
                     transcript=transcript.model_dump(mode="json"), ended_by=transcript.ended_by,
                     agent_success=transcript.agent_success)
