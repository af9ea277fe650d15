"""`evopersona tau2 run`: a τ²-bench evaluation whose user simulator plays personas of a run.

Personas are sampled in the sandbox from the run's program (P per task); τ²'s own runner
(`tau2.run.run_domain`) then runs every task P times with the registered `evopersona_persona` user
(tau2_user.py), its own agent, tools, database and reward, and writes its simulation file (the
`Results` JSON its `tau2 view` and `tau2 evaluate-trajectories` read). Next to it we write which
persona played each simulation, and we summarise the reward per persona axis placement.
"""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evopersona.api import open_run
from evopersona.errors import EvoPersonaError, InputError, WorkFailed
from evopersona.export import generate_all
from evopersona.generator import PersonaRecord
from evopersona.llm.offline import register as register_offline
from evopersona.simulate.persona_block import wrap_policy
from evopersona.simulate.tau2_adapter import tau2_task
from evopersona.simulate.tau2_user import USER_NAME, PersonaPool, active_pool
from evopersona.tasks import TAU2_DOMAINS, load_tasks

# τ² names the split holding every task "base".
TAU2_SPLIT = {"train": "train", "test": "test", "all": "base"}


class Tau2RunRequest(BaseModel):
    run_dir: Path
    domain: Literal["retail", "airline", "telecom"] = "retail"
    split: Literal["train", "test", "all"] = "test"
    max_tasks: int | None = Field(default=None, ge=1)
    per_task: int = Field(default=2, ge=1, le=50)
    user_model: str | None = Field(default=None, description="default: the run's user role")
    agent_model: str | None = Field(default=None, description="default: the run's agent role")
    program_id: int | None = None
    seed: int = 0
    max_steps: int = Field(default=100, ge=1)
    concurrency: int = Field(default=1, ge=1, le=64)
    out: Path | None = Field(default=None, description="folder for τ²'s files (default <run>/tau2)")


class Tau2Simulation(BaseModel):
    simulation_id: str
    task_id: str
    trial: int
    seed: int | None
    persona_id: str
    axis_placement: dict[str, bool]
    reward: float | None = Field(description="τ²'s reward (None when τ² could not score the episode)")
    turns: int = Field(description="user and agent messages, tool results not counted")
    termination_reason: str


class PlacementReward(BaseModel):
    active_axes: list[str]
    simulations: int
    mean_reward: float | None


class AxisReward(BaseModel):
    axis: str
    on_simulations: int
    on_mean_reward: float | None
    off_simulations: int
    off_mean_reward: float | None


class Tau2RunSummary(BaseModel):
    run: str
    program_id: int
    domain: str
    split: str
    tasks: int
    per_task: int
    user_model: str
    agent_model: str
    mean_reward: float | None
    simulations: list[Tau2Simulation]
    by_placement: list[PlacementReward]
    by_axis: list[AxisReward]
    results_file: str = Field(description="τ²'s simulation file (tau2 view --file / tau2 evaluate-trajectories)")
    personas_file: str


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def by_placement(simulations: list[Tau2Simulation]) -> list[PlacementReward]:
    """Mean reward per combination of active axes, most frequent first."""
    groups: dict[tuple[str, ...], list[Tau2Simulation]] = {}
    for s in simulations:
        groups.setdefault(tuple(sorted(a for a, on in s.axis_placement.items() if on)), []).append(s)
    rows = [PlacementReward(active_axes=list(axes), simulations=len(sims),
                            mean_reward=_mean([s.reward for s in sims if s.reward is not None]))
            for axes, sims in groups.items()]
    return sorted(rows, key=lambda r: (-r.simulations, r.active_axes))


def by_axis(simulations: list[Tau2Simulation]) -> list[AxisReward]:
    """Mean reward of the simulations whose persona has each axis on, and off."""
    axes = sorted({a for s in simulations for a in s.axis_placement})
    rows = []
    for axis in axes:
        on = [s.reward for s in simulations if s.axis_placement.get(axis) and s.reward is not None]
        off = [s.reward for s in simulations if s.axis_placement.get(axis) is False and s.reward is not None]
        rows.append(AxisReward(axis=axis, on_simulations=len(on), on_mean_reward=_mean(on),
                               off_simulations=len(off), off_mean_reward=_mean(off)))
    return rows


def _turns(messages: list[object]) -> int:
    from tau2.data_model.message import AssistantMessage, UserMessage

    return sum(1 for m in messages if isinstance(m, (UserMessage, AssistantMessage)))


def run_tau2(request: Tau2RunRequest) -> Tau2RunSummary:
    """Sample personas, run τ²'s runner with the persona user, and pair each simulation with its persona."""
    from tau2.data_model.simulation import RunConfig
    from tau2.run import run_domain

    if request.domain not in TAU2_DOMAINS:
        raise InputError(f"unknown τ² domain '{request.domain}'")
    tasks = load_tasks(request.domain, request.split)[: request.max_tasks]
    if not tasks:
        raise InputError(f"{request.domain} has no tasks in split '{request.split}'")
    tau2_tasks = [tau2_task(t) for t in tasks]
    with open_run(request.run_dir) as run:
        program = run.program(request.program_id)
        populations = generate_all(run, program, tasks, request.per_task, request.seed)
        roles = run.config.llm
        run_name = run.name
    personas = {t.id: records for t, records in zip(tasks, populations, strict=True)}
    user_model = request.user_model or roles.role("user").model
    agent_model = request.agent_model or roles.role("agent").model
    if user_model.startswith("offline/") or agent_model.startswith("offline/"):
        register_offline()
    out = request.out or request.run_dir / "tau2"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    name = f"{run_name}_{request.domain}_{request.split}_p{program.id}_{stamp}"
    if (out / f"{name}.json").exists():
        raise InputError(f"{out / name}.json already exists")
    config = RunConfig(
        domain=request.domain, task_split_name=TAU2_SPLIT[request.split], task_ids=[t.id for t in tasks],
        agent="llm_agent", llm_agent=agent_model, llm_args_agent={"temperature": roles.role("agent").temperature},
        user=USER_NAME, llm_user=user_model, llm_args_user={"temperature": roles.role("user").temperature},
        llm_args_judge={}, num_trials=request.per_task, max_steps=request.max_steps,
        max_concurrency=request.concurrency, max_retries=roles.max_retries, seed=request.seed,
        save_to=name, results_dir=str(out), log_level="WARNING",
    )
    pool = PersonaPool(personas, {str(t.user_scenario): t.id for t in tau2_tasks})
    # τ² prints its progress and logs on stdout; stdout is ours (one JSON document with --json).
    with active_pool(pool), contextlib.redirect_stdout(sys.stderr):
        try:
            results = run_domain(config)
        except EvoPersonaError:
            raise
        except Exception as exc:  # noqa: BLE001 - τ² and litellm raise plain exceptions; reported, exit 1
            raise WorkFailed(f"τ²'s runner failed: {type(exc).__name__}: {exc}") from None
    simulations = []
    rows = []
    for sim in sorted(results.simulations, key=lambda s: (s.task_id, s.trial or 0)):
        persona = pool.assigned(sim.task_id, sim.seed)
        if persona is None:
            raise WorkFailed(f"simulation {sim.id} of task {sim.task_id} has no persona (τ² skipped the user?)")
        simulations.append(Tau2Simulation(
            simulation_id=sim.id, task_id=sim.task_id, trial=sim.trial or 0, seed=sim.seed,
            persona_id=persona.persona_id, axis_placement=persona.axis_placement,
            reward=sim.reward_info.reward if sim.reward_info is not None else None,
            turns=_turns(sim.messages), termination_reason=sim.termination_reason.value))
        rows.append(_persona_row(sim.id, sim.task_id, sim.trial or 0, sim.seed, persona))
    # JSON lines, so τ²'s viewer (which lists every *.json of the folder) does not offer it as a simulation file.
    personas_file = out / f"{name}.personas.jsonl"
    personas_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return Tau2RunSummary(
        run=run_name, program_id=program.id, domain=request.domain, split=request.split, tasks=len(tasks),
        per_task=request.per_task, user_model=user_model, agent_model=agent_model,
        mean_reward=_mean([s.reward for s in simulations if s.reward is not None]), simulations=simulations,
        by_placement=by_placement(simulations), by_axis=by_axis(simulations),
        results_file=str(out / f"{name}.json"), personas_file=str(personas_file))


def _persona_row(simulation_id: str, task_id: str, trial: int, seed: int | None, persona: PersonaRecord) -> dict[str, object]:
    return {"simulation_id": simulation_id, "task_id": task_id, "trial": trial, "seed": seed,
            **persona.model_dump(), "prompt_block": wrap_policy(persona.policy) if persona.policy.strip() else ""}
