"""`evopersona front` and `evopersona status`: read a run back (also while it is running)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from evopersona.cli.common import JSON_OPTION, emit_json, guarded, out_console

RUN_ARG = typer.Argument(..., help="the run folder, e.g. runs/quickstart")


def front_table(entries: list, title: str) -> Table:
    table = Table(title=title)
    for column in ("program", "island", "gen", "kind", "human_likeness", "coverage", "preservation", "score"):
        table.add_column(column, justify="right" if column not in ("kind",) else "left")
    for e in entries:
        o = e.objectives
        table.add_row(
            str(e.program_id), str(e.island), str(e.generation), e.mutation_kind or "-",
            f"{o.human_likeness:.3f}", f"{o.coverage:.3f}", f"{o.task_preservation:.2f}", f"{o.score:.3f}",
        )
    return table


@guarded
def front(run_dir: Path = RUN_ARG, as_json: bool = JSON_OPTION) -> None:
    """The Pareto front of a run: feasible non-dominated programs, best score first."""
    from evopersona.runs import open_run

    opened = open_run(run_dir)
    try:
        entries = opened.front()
        if as_json:
            emit_json({"run": opened.config.name, "path": str(opened.run_dir), "front": entries})
            return
        out_console.print(front_table(entries, f"Pareto front of {opened.config.name} ({len(entries)} programs)"))
    finally:
        opened.store.close()


@guarded
def status(run_dir: Path = RUN_ARG, as_json: bool = JSON_OPTION) -> None:
    """Counts of programs and evaluations by status, best score, hypervolume, LLM usage and cost."""
    from evopersona.errors import one_line
    from evopersona.runs import open_run

    opened = open_run(run_dir)
    try:
        summary = opened.summary()
    finally:
        opened.store.close()
    if as_json:
        emit_json(summary)
        return
    table = Table(title=f"run {summary['run']} ({summary['status']})", show_header=False)
    table.add_column("what")
    table.add_column("value")
    evaluations = ", ".join(f"{k} {v}" for k, v in sorted(summary["evaluations"].items())) or "none"
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(summary["rejected_mutations"].items())) or "none"
    best = "-" if summary["best_score"] is None else f"{summary['best_score']:.3f} (program {summary['best_program_id']})"
    llm = summary["llm"]
    rows = [
        ("path", summary["path"]),
        ("programs", str(summary["programs"])),
        ("evaluations", evaluations),
        *([("first failure", one_line(summary["first_failure"]))] if summary["first_failure"] else []),
        ("rejected mutations", rejected),
        ("best score", best),
        ("front size", str(summary["front_size"])),
        ("hypervolume", f"{summary['hypervolume']:.4f}"),
        ("LLM calls", f"{llm['calls']} ({llm['cached_calls']} cached, {llm['errors']} errors)"),
        ("tokens", f"{llm['tokens_in']} in, {llm['tokens_out']} out"),
        ("cost", f"${llm['cost_usd']:.4f}"),
    ]
    for row in rows:
        table.add_row(*row)
    out_console.print(table)


def register(app: typer.Typer) -> None:
    app.command("front")(front)
    app.command("status")(status)
