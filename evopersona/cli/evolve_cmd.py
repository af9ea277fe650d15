"""`evopersona evolve`: start or resume an evolution run."""

from __future__ import annotations

from pathlib import Path

import typer

from evopersona.cli.common import JSON_OPTION, emit_json, err_console, guarded, out_console

CONFIG_ARG = typer.Argument(None, help="run configuration (TOML), e.g. runs/quickstart.toml")


@guarded
def evolve(
    config_path: Path | None = CONFIG_ARG,
    resume: Path | None = typer.Option(None, "--resume", help="continue the run in this folder (e.g. runs/quickstart)"),
    fresh: bool = typer.Option(False, "--fresh", help="delete an existing run of the same name and start over"),
    model: str | None = typer.Option(None, "--model", help="litellm model for every LLM role (e.g. openai/gpt-4o-mini)"),
    api_base: str | None = typer.Option(None, "--api-base", help="API base URL for every role (local servers)"),
    ray_address: str | None = typer.Option(None, "--ray-address", help="'auto' joins a running Ray cluster"),
    executor: str | None = typer.Option(None, "--executor", help="ray (default) or inline (no Ray, for debugging)"),
    max_evaluations: int | None = typer.Option(None, "--max-evaluations", help="stop after this many evaluations"),
    overrides: list[str] = typer.Option([], "--set", help="override a config key: section.key=value (repeatable)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Evolve persona-generator programs; prints the Pareto front and where the run is stored."""
    from evopersona.evolve.run import EvolveRequest, run_evolution

    flags = list(overrides)
    if model:
        flags.append(f"llm.model={model}")
    if api_base:
        flags.append(f"llm.api_base={api_base}")
    if ray_address:
        flags.append(f"ray.address={ray_address}")
    if executor:
        flags.append(f"ray.executor={executor}")
    if max_evaluations is not None:
        flags.append(f"search.max_evaluations={max_evaluations}")
    request = EvolveRequest(config_path=config_path, resume=resume, fresh=fresh, overrides=flags)
    summary = run_evolution(request, console=err_console)
    if as_json:
        emit_json(summary)
        return
    from evopersona.cli.results_cmd import front_table
    from evopersona.runs import FrontEntry

    entries = [FrontEntry.model_validate(e) for e in summary["front"]]
    out_console.print(front_table(entries, f"Pareto front ({len(entries)} programs)"))
    best = summary["best_score"]
    out_console.print(
        f"stopped: {summary['stop_reason']}; {summary['evaluations']} evaluations; "
        f"best score {'-' if best is None else f'{best:.3f}'}; cost ${summary['cost_usd']:.4f}"
    )
    out_console.print(f"results: {summary['path']}  (evopersona front {summary['path']}; evopersona status {summary['path']})")


def register(app: typer.Typer) -> None:
    app.command("evolve")(evolve)
