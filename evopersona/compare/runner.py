"""Run one condition: personas for every task in the sandbox, one episode per persona.

Common random numbers: every condition gets the same tasks, the same generation seed and, for the
persona at index i of task t, the same episode seed `seed + EPISODE_STRIDE·t + i`, so the conditions
differ only by their program. Episodes run on the built-in runner (the gateway serves every turn) or
on τ²-bench itself (`runner="tau2"`: its tools, database and reward give agent success).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evopersona.compare.conditions import Condition
from evopersona.config import RunConfig
from evopersona.errors import InputError, WorkFailed
from evopersona.evaluation.pipeline import check_preservation, generate
from evopersona.fitness.preservation import PreservationVerdict
from evopersona.generator import PersonaRecord, ProgramFailed
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.episode import run_episode
from evopersona.simulate.prompts import user_prompt_style
from evopersona.simulate.transcript import Transcript
from evopersona.tasks import Task

EPISODE_STRIDE = 1000
Advance = Callable[[int], None]


def episode_seed(seed: int, task_index: int, persona_index: int) -> int:
    return seed + EPISODE_STRIDE * task_index + persona_index


@dataclass
class ConditionRun:
    """What one condition produced, task by task (index-aligned lists)."""

    condition: Condition
    tasks: list[Task]
    no_persona: bool
    records: list[list[PersonaRecord]]
    verdicts: list[list[PreservationVerdict]]
    transcripts: list[list[Transcript]]


def tau2_episode_fn(config: RunConfig) -> Callable[..., Transcript]:
    """A blocking τ² episode function bound to the configured user and agent models."""
    try:
        from evopersona.simulate.tau2_adapter import run_tau2_episode
    except ImportError as exc:
        raise InputError(f"--runner tau2 needs τ²-bench installed (pip install 'evopersona[tau2]'): {exc}") from None
    user, agent = config.llm.role("user"), config.llm.role("agent")

    def one(task: Task, policy: str | None, seed: int, persona_id: str) -> Transcript:
        return run_tau2_episode(task, policy, seed=seed, user_model=user.model, agent_model=agent.model,
                                user_llm_args={"temperature": user.temperature},
                                agent_llm_args={"temperature": agent.temperature}, persona_id=persona_id)

    return one


async def run_condition(condition: Condition, tasks: list[Task], n: int, seed: int, config: RunConfig,
                        gateway: Any, pool: SandboxPool, advance: Advance) -> ConditionRun:
    """Generate, check preservation and run the episodes of one condition; a failing program is WorkFailed."""
    try:
        outputs = await asyncio.gather(*(generate(pool, condition.code, task, n, seed) for task in tasks))
    except ProgramFailed as exc:
        raise WorkFailed(f"condition {condition.name}: the program failed: {exc}") from None
    advance(len(tasks))
    records = [out[0] for out in outputs]
    no_persona = outputs[0][1]
    use_judge = config.fitness.llm_preservation_judge
    verdicts = list(await asyncio.gather(*(check_preservation(gateway, recs, task, use_judge, seed)
                                           for task, recs in zip(tasks, records, strict=True))))
    tau2 = tau2_episode_fn(config) if config.episodes.runner == "tau2" else None
    gate = asyncio.Semaphore(config.llm.role("user").concurrency)

    async def one(task: Task, t: int, i: int, record: PersonaRecord) -> Transcript:
        policy = None if no_persona else record.policy
        async with gate:
            if tau2 is not None:
                transcript = await asyncio.to_thread(tau2, task, policy, episode_seed(seed, t, i), record.persona_id)
            else:
                transcript = await run_episode(task, policy, gateway, max_turns=config.episodes.max_turns,
                                               seed=episode_seed(seed, t, i), persona_id=record.persona_id,
                                               user_prompt=user_prompt_style(config.llm))
        advance(1)
        return transcript

    transcripts = [
        list(await asyncio.gather(*(one(task, t, i, r) for i, r in enumerate(recs))))
        for t, (task, recs) in enumerate(zip(tasks, records, strict=True))
    ]
    flat = [tr for per_task in transcripts for tr in per_task]
    failed = [tr for tr in flat if tr.ended_by == "error"]
    if len(failed) > len(flat) // 2:
        raise WorkFailed(f"condition {condition.name}: {len(failed)} of {len(flat)} episodes failed: {failed[0].error}")
    return ConditionRun(condition=condition, tasks=tasks, no_persona=no_persona, records=records, verdicts=verdicts,
                        transcripts=transcripts)
