"""`evopersona tasks`: list and show benchmark tasks."""

from __future__ import annotations

import typer
from rich.table import Table

from evopersona.cli.common import JSON_OPTION, emit_json, guarded, out_console
from evopersona.tasks import load_tasks, pick_task

tasks_app = typer.Typer(help="List and inspect benchmark tasks.", no_args_is_help=True)

SOURCE_HELP = "a τ² domain (retail, airline, telecom) or a tasks file (.json τ² format, .jsonl generic)"


@tasks_app.command("list")
@guarded
def list_tasks(
    domain: str = typer.Option("retail", "--domain", "-d", help=SOURCE_HELP),
    split: str = typer.Option("all", "--split", "-s", help="train, test or all"),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the tasks of a domain or file with their split and reason for call."""
    tasks = load_tasks(domain, split)
    if as_json:
        emit_json([t.model_dump(exclude={"source"}) for t in tasks])
        return
    table = Table(title=f"{domain} tasks ({split}): {len(tasks)}")
    table.add_column("id", no_wrap=True)
    table.add_column("split")
    table.add_column("reason for call", overflow="fold")
    for task in tasks:
        reason = task.reason_for_call
        table.add_row(task.id, task.split or "-", reason if len(reason) <= 140 else reason[:137] + "...")
    out_console.print(table)


@tasks_app.command("show")
@guarded
def show_task(
    task_id: str = typer.Argument(..., help="task id"),
    domain: str = typer.Option("retail", "--domain", "-d", help=SOURCE_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one task's scenario as the user simulator sees it."""
    task = pick_task(load_tasks(domain), task_id)
    if as_json:
        emit_json(task.model_dump(exclude={"source"}))
        return
    out_console.print(f"[bold]{task.key}[/] (split: {task.split or '-'})")
    out_console.print(task.scenario_text(), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
