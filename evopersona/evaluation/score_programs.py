"""Score generator programs outside an evolution: the same cascade and objectives, side by side.

The fitness reference (baseline episodes on train tasks + fitted discriminators) is built once in a
work folder and reused by later calls with the same settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from evopersona.config import RunConfig, apply_overrides, validate_config
from evopersona.evaluation.models import EvaluationJob
from evopersona.evaluation.reference import ensure_reference
from evopersona.evaluation.tasks import select_tasks
from evopersona.evaluation.worker import close_worker_context, run_job
from evopersona.resources import read_program
from evopersona.llm.factory import make_gateway


def score_config(source: str, split: str, n: int, max_tasks: int | None, seed: int, overrides: list[str], work_dir: Path) -> RunConfig:
    data: dict[str, Any] = {
        "name": f"score-{Path(source).stem}",
        "seed": seed,
        "runs_dir": str(work_dir),
        "tasks": {"source": source, "split": split, "personas_per_task": n, "max_tasks": max_tasks},
        "ray": {"executor": "inline"},
    }
    return validate_config(apply_overrides(data, overrides), "score settings")


def score_programs(programs: list[str], config: RunConfig, console: Console | None = None) -> dict[str, Any]:
    """Evaluate each program on the same tasks, seeds and models; one row per program."""
    sources = [read_program(p) for p in programs]
    tasks = select_tasks(config)
    config = config.model_copy(update={"tasks": config.tasks.model_copy(update={"batch_size": len(tasks)})})
    config.run_dir().mkdir(parents=True, exist_ok=True)
    gateway = make_gateway(config)
    try:
        reference_dir = ensure_reference(config, gateway, console)
    finally:
        gateway.close()
    rows = []
    try:
        for index, (path, code) in enumerate(sources):
            if console is not None:
                console.print(f"scoring {path} on {len(tasks)} tasks")
            job = EvaluationJob(program_id=index, code=code, tasks=tasks,
                                personas_per_task=config.tasks.personas_per_task, seed=config.seed, config=config,
                                reference_dir=str(reference_dir), reflect=False)
            result = run_job(job).result
            calls = result.llm_calls
            rows.append({
                "program": str(path),
                "status": result.status,
                "error": result.error,
                "objectives": result.objectives.model_dump() if result.objectives else None,
                "metrics": {k: v for k, v in result.metrics.items() if k != "per_task"},
                "turns_per_episode": _turns(result.episodes),
                "llm_calls": len(calls),
                "cost_usd": sum(c.cost_usd for c in calls),
            })
    finally:
        close_worker_context()
    return {
        "source": config.tasks.source,
        "split": config.tasks.split,
        "n": config.tasks.personas_per_task,
        "seed": config.seed,
        "tasks": [t.id for t in tasks],
        "reference": str(reference_dir),
        "programs": rows,
    }


def _turns(episodes: list[Any]) -> float | None:
    counts = [sum(1 for t in e.transcript.get("turns", []) if t.get("role") == "user") for e in episodes]
    return sum(counts) / len(counts) if counts else None
