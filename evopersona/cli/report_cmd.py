"""`evopersona report`: one self-contained HTML file with the plots and tables of a run."""

from __future__ import annotations

from pathlib import Path

import typer

from evopersona.cli.common import JSON_OPTION, emit_json, err_console, guarded

RUN_ARG = typer.Argument(..., help="the run folder, e.g. runs/quickstart")


@guarded
def report(
    run_dir: Path = RUN_ARG,
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file to write (default: <run>/report.html)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write an HTML report: Pareto front, progress, lineage, behaviour coverage, cost, front table."""
    from evopersona.report import write_report

    target = out or run_dir / "report.html"
    written = write_report(run_dir, target)
    if as_json:
        emit_json(written)
        return
    err_console.print(f"wrote {written.out} ({written.bytes} bytes, {written.sections} sections)")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
