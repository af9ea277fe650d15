"""`evopersona compare`: the paper's table (method.md §1.11) on held-out tasks.

Runs every program (a file, a bundled name, or `runs/<name>:best` / `runs/<name>:<program id>`) on
the same tasks with the same seeds, plus a humans ceiling row, and writes compare.json and
compare.md to the output folder (default runs/<name>/compare/ when a run is named, else compare-out/).
"""

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

PROGRAMS_OPTION = typer.Option(
    [], "--programs", "-p",
    help="programs to compare: files, bundled names, runs/<name>:best or runs/<name>:<id> (several may follow one --programs)",
)
OUT_OPTION = typer.Option(None, "--out", "-o", help="output folder (default runs/<name>/compare/ or compare-out/)")
SET_OPTION = typer.Option([], "--set", help="override a config key: section.key=value (repeatable)")


@guarded
def compare(
    ctx: typer.Context,
    programs: list[str] = PROGRAMS_OPTION,
    domain: str = typer.Option("retail", "--domain", "-d", help="a τ² domain"),
    split: str = typer.Option("test", "--split", help="task split to evaluate on: test (the protocol) or train"),
    n: int = typer.Option(10, "--n", "-n", help="personas per task (one episode each)"),
    max_tasks: int | None = typer.Option(None, "--max-tasks", help="only the first K tasks of the split"),
    seed: int | None = typer.Option(None, "--seed", help="seed of generation and episodes, shared by every condition"),
    model: str | None = typer.Option(None, "--model", help="litellm model for every LLM role (default: the run's, else offline)"),
    runner: str | None = typer.Option(None, "--runner", help="episode runner: builtin (default) or tau2 (τ²-bench, agent success)"),
    out: Path | None = OUT_OPTION,
    overrides: list[str] = SET_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare generator programs on held-out tasks: human-likeness, coverage, Dice, lexical, preservation."""
    from evopersona.compare.protocol import CompareRequest, run_compare
    from evopersona.compare.table import negatives_lines, rich_table
    from evopersona.errors import InputError

    extra = list(ctx.args)
    unknown = [a for a in extra if a.startswith("-")]
    if unknown:
        raise InputError(f"unknown option {unknown[0]}")
    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    if max_tasks is not None and max_tasks < 1:
        raise InputError(f"--max-tasks must be at least 1, got {max_tasks}")
    if runner not in (None, "builtin", "tau2"):
        raise InputError(f"unknown runner '{runner}': choose builtin or tau2")
    request = CompareRequest(domain=domain, split=split, n=n, programs=[*programs, *extra], max_tasks=max_tasks,
                             seed=seed, model=model, runner=runner, out=out, overrides=overrides)
    outcome = run_compare(request, console=err_console)
    err_console.print("wrote " + ", ".join(str(p) for p in outcome.written), highlight=False)
    for line in negatives_lines(outcome.document):
        err_console.print(f"negatives: {line}", highlight=False)
    if as_json:
        emit_json(outcome.document)
        return
    out_console.print(rich_table(outcome.document))


def register(app: typer.Typer) -> None:
    app.command("compare", context_settings={"allow_extra_args": True, "ignore_unknown_options": False})(compare)
