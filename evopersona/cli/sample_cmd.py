"""`evopersona sample`: run a generator program in the sandbox and show the personas it makes."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from evopersona.cli.common import (
    JSON_OPTION,
    emit_json,
    err_console,
    guarded,
    out_console,
)


@guarded
def sample(
    program: str = typer.Option(..., "--program", "-p", help="generator program file (or a bundled name)"),
    domain: str = typer.Option("retail", "--domain", "-d", help="a τ² domain or a tasks file"),
    task_id: str = typer.Option(..., "--task", "-t", help="task id"),
    n: int = typer.Option(10, "--n", "-n", help="number of personas"),
    seed: int = typer.Option(0, "--seed", help="seed for the program's rng and its LLM calls"),
    model: str | None = typer.Option(None, "--model", help="litellm model for the generator role (default offline)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="also write the personas as JSONL"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Sample personas for one task from a generator program (run in the sandbox)."""
    from evopersona.config import LLMConfig
    from evopersona.errors import InputError
    from evopersona.sampling import sample_personas
    from evopersona.tasks import load_tasks, pick_task

    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    task = pick_task(load_tasks(domain), task_id)
    err_console.print(f"sampling {n} personas for {task.key} from {program} (seed {seed})")
    records = sample_personas(program, task, n, seed, llm_config=LLMConfig(model=model))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r.model_dump(), ensure_ascii=False) + "\n" for r in records),
                       encoding="utf-8")
        err_console.print(f"wrote {len(records)} personas to {out}")
    if as_json:
        emit_json({"program": program, "task": task.key, "seed": seed, "personas": records})
        return
    from rich.table import Table

    table = Table(title=f"{len(records)} personas for {task.key}", show_lines=True)
    table.add_column("persona_id", no_wrap=True)
    table.add_column("axes on")
    table.add_column("description", overflow="fold")
    table.add_column("policy", overflow="fold", ratio=2)
    for record in records:
        active = ", ".join(name for name, on in record.axis_placement.items() if on) or "-"
        table.add_row(record.persona_id, active, record.description, record.policy or "(no persona)")
    out_console.print(table)


def register(app: typer.Typer) -> None:
    app.command("sample")(sample)
