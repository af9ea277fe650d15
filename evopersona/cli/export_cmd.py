"""`evopersona export tau2|jsonl`: personas of a run's program written as benchmark input files."""

from __future__ import annotations

from pathlib import Path

import typer

from evopersona.cli.common import (
    JSON_OPTION,
    emit_json,
    err_console,
    guarded,
    out_console,
)

export_app = typer.Typer(help="Write personas of a run's best (or chosen) program into benchmark files.",
                         no_args_is_help=True)
RUN_ARG = typer.Argument(..., help="the run folder, e.g. runs/quickstart")
SPLIT_OPTION = typer.Option("test", "--split", help="train, test or all")
PER_TASK_OPTION = typer.Option(10, "--per-task", min=1, max=200, help="personas per task")
PROGRAM_OPTION = typer.Option(None, "--program", help="program id (default: the front's best)")
SEED_OPTION = typer.Option(0, "--seed", help="seed for the program's rng and its LLM calls")
MAX_TASKS_OPTION = typer.Option(None, "--max-tasks", min=1, help="only the first N tasks of the split")


def _run_export(kind: str, run_dir: Path, source: str, split: str, per_task: int, out: Path,
                program: int | None, seed: int, max_tasks: int | None, as_json: bool) -> None:
    from pydantic import ValidationError
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from evopersona.errors import InputError
    from evopersona.export import ExportRequest, run_export

    try:
        request = ExportRequest(kind=kind, run_dir=run_dir, source=source, split=split, per_task=per_task,
                                out=out, program_id=program, seed=seed, max_tasks=max_tasks)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"--{'-'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        bar = progress.add_task(f"personas ({kind})", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        summary = run_export(request, on_progress=advance)
    if as_json:
        emit_json(summary)
        return
    checked = " (validated with tau2's Task model)" if summary.validated_with_tau2 else ""
    out_console.print(f"wrote {summary.records} records for {summary.tasks} tasks from program "
                      f"{summary.program_id} to {summary.out}{checked}")


@export_app.command("tau2")
@guarded
def tau2(
    run_dir: Path = RUN_ARG,
    domain: str = typer.Option("retail", "--domain", "-d", help="a τ² domain or a τ² tasks .json file"),
    split: str = SPLIT_OPTION,
    per_task: int = PER_TASK_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="τ² tasks JSON file to write"),
    program: int | None = PROGRAM_OPTION,
    seed: int = SEED_OPTION,
    max_tasks: int | None = MAX_TASKS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """τ²-bench tasks.json: one task copy per persona, its policy block in user_scenario.persona."""
    _run_export("tau2", run_dir, domain, split, per_task, out, program, seed, max_tasks, as_json)


@export_app.command("jsonl")
@guarded
def jsonl(
    run_dir: Path = RUN_ARG,
    source: str = typer.Option("retail", "--source", "--domain", "-d", help="a τ² domain or a tasks file (.json/.jsonl)"),
    split: str = SPLIT_OPTION,
    per_task: int = PER_TASK_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="JSONL file to write"),
    program: int | None = PROGRAM_OPTION,
    seed: int = SEED_OPTION,
    max_tasks: int | None = MAX_TASKS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Generic JSONL for any benchmark: task id, persona id, description, policy and prompt block."""
    _run_export("jsonl", run_dir, source, split, per_task, out, program, seed, max_tasks, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
