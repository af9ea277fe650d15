"""Root of the typer application: every built command registers itself here.

Command modules import their heavy dependencies inside the command function, so `evopersona --help`
stays fast and never imports ray or litellm.
"""

from __future__ import annotations

import importlib

import typer

import evopersona  # noqa: F401  (sets the litellm environment before anything imports litellm)

app = typer.Typer(
    name="evopersona",
    help="Evolve realistic user personas for evaluating LLM agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module exposes `register(app)`. Only commands that are built are listed.
COMMAND_MODULES = [
    "evopersona.cli.tasks_cmd",
    "evopersona.cli.evolve_cmd",
    "evopersona.cli.results_cmd",
    "evopersona.cli.sample_cmd",
    "evopersona.cli.score_cmd",
    "evopersona.cli.serve_cmd",
    "evopersona.cli.report_cmd",
    "evopersona.cli.export_cmd",
    "evopersona.cli.compare_cmd",
    "evopersona.cli.tau2_cmd",
    "evopersona.cli.sandbox_cmd",
]


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main() -> None:
    app()
