"""Exports of a program's personas into benchmark input files.

- `tau2`: a τ²-bench tasks.json. Each persona becomes a copy of its task (the raw τ² dict, every
  field unchanged) whose `user_scenario.persona` holds the wrapped policy (any persona the task had
  is replaced) and whose id is `<task id>__persona_<k>` (k = 0..per_task-1, the persona's position),
  so the unchanged benchmark runs the same task once per persona. Validated with τ²'s own `Task`
  model when `tau2` is installed.
- `jsonl`: one line per persona for any other benchmark: task id, persona id, description, axis
  placement, policy and the prompt block to append to a user simulator's system prompt.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from evopersona.api import ProgramInfo, Run, open_run, run_cache_dir, sample_program
from evopersona.errors import InputError, WorkFailed
from evopersona.generator import PersonaRecord
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.persona_block import wrap_policy
from evopersona.tasks import Task, load_tasks

ID_SEPARATOR = "__persona_"
Progress = Callable[[int, int], None]


class ExportRequest(BaseModel):
    kind: Literal["tau2", "jsonl"]
    run_dir: Path
    source: str = Field(description="a τ² domain or a tasks file")
    split: Literal["train", "test", "all"] = "test"
    per_task: int = Field(default=10, ge=1, le=200)
    out: Path
    program_id: int | None = None
    seed: int = 0
    max_tasks: int | None = Field(default=None, ge=1)


class ExportSummary(BaseModel):
    kind: str
    run: str
    program_id: int
    source: str
    split: str
    seed: int
    tasks: int
    records: int
    out: str
    validated_with_tau2: bool


def export_id(task_id: str, index: int) -> str:
    """The id of the task copy for the persona at position `index` of task `task_id`."""
    return f"{task_id}{ID_SEPARATOR}{index}"


def generate_all(run: Run, program: ProgramInfo, tasks: list[Task], per_task: int, seed: int,
                 on_progress: Progress | None = None) -> list[list[PersonaRecord]]:
    """Personas for every task, in task order, from the run's sandbox (one worker per pool slot)."""
    config = run.config
    done = 0
    with SandboxPool(config.sandbox) as pool:

        def one(task: Task) -> list[PersonaRecord]:
            return sample_program(program.code, task, per_task, seed, llm_config=config.llm,
                                  cache_dir=run_cache_dir(config), pool=pool)

        results: list[list[PersonaRecord]] = []
        with ThreadPoolExecutor(max_workers=config.sandbox.pool_size) as executor:
            for records in executor.map(one, tasks):
                if any(not r.policy.strip() for r in records):
                    raise InputError(f"program {program.id} is a no-persona program (empty policies): nothing to export")
                results.append(records)
                done += 1
                if on_progress is not None:
                    on_progress(done, len(tasks))
    return results


def tau2_copies(task: Task, records: list[PersonaRecord]) -> list[dict[str, Any]]:
    """One τ² task dict per persona: the raw task with the persona block and a suffixed id."""
    if task.source is None or not isinstance(task.source.get("user_scenario"), dict):
        raise InputError(f"task {task.key} did not come from a τ² tasks file; use `export jsonl` instead")
    copies = []
    for index, record in enumerate(records):
        raw = copy.deepcopy(task.source)
        raw["id"] = export_id(task.id, index)
        raw["user_scenario"]["persona"] = wrap_policy(record.policy)
        copies.append(raw)
    return copies


def validate_tau2(tasks: list[dict[str, Any]]) -> bool:
    """Check every task with τ²-bench's `Task` model; False when tau2 is not installed."""
    try:
        from tau2.data_model.tasks import Task as Tau2Task
    except ImportError:
        return False
    from pydantic import ValidationError

    for raw in tasks:
        try:
            Tau2Task.model_validate(raw)
        except ValidationError as exc:
            raise WorkFailed(f"exported task {raw.get('id')} is not a valid τ² task: {exc.errors()[0]['msg']}") from None
    return True


def jsonl_rows(run: Run, program_id: int, task: Task, records: list[PersonaRecord]) -> list[dict[str, Any]]:
    return [
        {"run": run.name, "program_id": program_id, "task_id": task.id, "domain": task.domain,
         "export_id": export_id(task.id, index), "persona_id": r.persona_id, "description": r.description,
         "axis_placement": r.axis_placement, "policy": r.policy, "prompt_block": wrap_policy(r.policy)}
        for index, r in enumerate(records)
    ]


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def run_export(request: ExportRequest, on_progress: Progress | None = None) -> ExportSummary:
    """Generate personas for the chosen tasks and write them in the requested format."""
    tasks = load_tasks(request.source, request.split)
    if request.max_tasks is not None:
        tasks = tasks[: request.max_tasks]
    if request.kind == "tau2" and any(t.source is None for t in tasks):
        raise InputError(f"{request.source}: not τ² tasks; use `export jsonl` for other benchmarks")
    with open_run(request.run_dir) as run:
        program = run.program(request.program_id)
        if on_progress is not None:
            on_progress(0, len(tasks))
        populations = generate_all(run, program, tasks, request.per_task, request.seed, on_progress)
        validated = False
        if request.kind == "tau2":
            exported = [c for task, records in zip(tasks, populations, strict=True) for c in tau2_copies(task, records)]
            validated = validate_tau2(exported)
            _write_atomic(request.out, json.dumps(exported, indent=2, ensure_ascii=False) + "\n")
        else:
            exported = [row for task, records in zip(tasks, populations, strict=True)
                        for row in jsonl_rows(run, program.id, task, records)]
            _write_atomic(request.out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exported))
        return ExportSummary(kind=request.kind, run=run.name, program_id=program.id, source=request.source,
                             split=request.split, seed=request.seed, tasks=len(tasks), records=len(exported),
                             out=str(request.out), validated_with_tau2=validated)
