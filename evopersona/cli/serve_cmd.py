"""`evopersona serve`: the HTTP API over the runs in a folder (loopback unless a token is set)."""

from __future__ import annotations

from pathlib import Path

import typer

from evopersona.cli.common import err_console, guarded


@guarded
def serve(
    runs: Path = typer.Option(Path("runs"), "--runs", help="folder holding the run folders"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind; non-loopback needs a token"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port to listen on"),
    token: str | None = typer.Option(None, "--token", envvar="EVOPERSONA_TOKEN", show_envvar=True,
                                     help="require 'Authorization: Bearer <token>' on every request"),
) -> None:
    """Serve runs, Pareto fronts, programs and persona sampling over HTTP (OpenAPI docs at /docs)."""
    from evopersona.service.server import check_bind
    from evopersona.service.server import serve as run_server

    check_bind(host, token)
    err_console.print(f"serving {runs} on http://{host}:{port} (live run pages at /, API docs at /docs)"
                      f"{' with a bearer token' if token else ''}")
    run_server(runs, host=host, port=port, token=token)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
