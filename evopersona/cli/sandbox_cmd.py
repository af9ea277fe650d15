"""`evopersona sandbox check`: which confinement layers are on for this machine and user."""

from __future__ import annotations

from pathlib import Path

import typer

from evopersona.cli.common import JSON_OPTION, emit_json, fail, guarded, out_console

sandbox_app = typer.Typer(help="Inspect the sandbox that runs generated programs.", no_args_is_help=True)


@sandbox_app.command("check")
@guarded
def check(
    config_path: Path | None = typer.Option(None, "--config", help="run config whose sandbox.allow_weaker applies"),
    overrides: list[str] = typer.Option([], "--set", help="config override KEY=VALUE (repeatable)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start one sandbox worker, report each layer, exit 1 if a required layer is off."""
    from evopersona.config import load_config
    from evopersona.sandbox.layers import SandboxUnavailable
    from evopersona.sandbox.pool import WorkerProcess

    config = load_config(config_path, overrides).sandbox
    refusal: SandboxUnavailable | None = None
    try:
        worker = WorkerProcess(config)
        report = worker.report
        worker.stop()
    except SandboxUnavailable as exc:
        report, refusal = exc.report, exc
    if as_json:
        emit_json({"user": report.user, "layers": report.layers, "problems": report.problems,
                   "missing": report.missing})
    else:
        out_console.print(f"user: {report.user}")
        for layer, on in report.layers.items():
            why = "" if on else f"  ({report.problems.get(layer, 'off')})"
            out_console.print(f"  {layer:<18} {'on' if on else 'off'}{why}", markup=False, highlight=False)
    if refusal is not None:
        fail(str(refusal), refusal.exit_code)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
