"""`evopersona tau2 run`: τ²-bench's own runner with a user simulator playing a run's personas."""

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

tau2_app = typer.Typer(help="Run τ²-bench with personas of a run as its user simulator.", no_args_is_help=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@tau2_app.command("run")
@guarded
def run(
    run_dir: Path = typer.Argument(..., help="the run folder, e.g. runs/quickstart"),
    domain: str = typer.Option("retail", "--domain", "-d", help="τ² domain: retail, airline or telecom"),
    split: str = typer.Option("test", "--split", help="train, test or all"),
    max_tasks: int | None = typer.Option(None, "--max-tasks", min=1, help="only the first K tasks of the split"),
    per_task: int = typer.Option(2, "--per-task", min=1, max=50, help="simulations (one persona each) per task"),
    model: str | None = typer.Option(None, "--model", help="litellm model of the user simulator (default: the run's user role)"),
    agent_model: str | None = typer.Option(None, "--agent-model", help="litellm model of τ²'s agent (default: the run's agent role)"),
    program: int | None = typer.Option(None, "--program", help="program id (default: the front's best)"),
    seed: int = typer.Option(0, "--seed", help="seed of persona sampling and of τ²'s trials"),
    max_steps: int = typer.Option(100, "--max-steps", min=1, help="τ²'s step limit per simulation"),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64, help="simulations run at once"),
    out: Path | None = typer.Option(None, "--out", "-o", help="folder for τ²'s simulation files (default <run>/tau2)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run τ² tasks with one sampled persona per simulation; τ² scores them with its own reward."""
    from pydantic import ValidationError

    from evopersona.errors import InputError

    try:
        from evopersona.simulate.tau2_run import Tau2RunRequest, run_tau2
    except ImportError as exc:
        raise InputError(f"τ²-bench is not installed ({exc}); install evopersona[tau2]") from None
    try:
        request = Tau2RunRequest(run_dir=run_dir, domain=domain, split=split, max_tasks=max_tasks, per_task=per_task,
                                 user_model=model, agent_model=agent_model, program_id=program, seed=seed,
                                 max_steps=max_steps, concurrency=concurrency, out=out)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"--{'-'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    err_console.print(f"τ² {domain}/{split}: sampling {per_task} personas per task from {run_dir}, then running τ²")
    summary = run_tau2(request)
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    table = Table(title=f"τ² {summary.domain}/{summary.split} with program {summary.program_id} of {summary.run}")
    for column in ("task_id", "trial", "persona_id", "reward", "turns", "ended"):
        table.add_column(column)
    for s in summary.simulations:
        table.add_row(s.task_id, str(s.trial), s.persona_id, _fmt(s.reward), str(s.turns), s.termination_reason)
    out_console.print(table)
    placements = Table(title="mean reward per persona axis placement")
    for column in ("active axes", "simulations", "mean reward"):
        placements.add_column(column)
    for p in summary.by_placement:
        placements.add_row(", ".join(p.active_axes) or "(none)", str(p.simulations), _fmt(p.mean_reward))
    out_console.print(placements)
    axes = Table(title="mean reward with each axis on / off")
    for column in ("axis", "on", "off"):
        axes.add_column(column)
    for a in summary.by_axis:
        axes.add_row(a.axis, f"{_fmt(a.on_mean_reward)} (n={a.on_simulations})",
                     f"{_fmt(a.off_mean_reward)} (n={a.off_simulations})")
    out_console.print(axes)
    out_console.print(f"mean reward {_fmt(summary.mean_reward)}; τ² simulation file {summary.results_file} "
                      f"(tau2 view --file ...); personas {summary.personas_file}")


def register(app: typer.Typer) -> None:
    app.add_typer(tau2_app, name="tau2")
