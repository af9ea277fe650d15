"""Shared CLI plumbing: error boundary, JSON output, stderr console.

Results go to stdout (a rich table, or one JSON document with `--json`); logs and progress go to
stderr. Exit codes: 0 success, 1 the work failed, 2 bad input.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from evopersona.errors import EvoPersonaError

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True)
out_console = Console()

JSON_OPTION = typer.Option(False, "--json", help="print one JSON document on stdout")


def fail(message: str, code: int) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def guarded(fn: F) -> F:
    """Turn our errors into a message and an exit code; never a traceback for expected failures."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EvoPersonaError as exc:
            fail(_escape(str(exc)), exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout (pydantic models are dumped in JSON mode)."""
    sys.stdout.write(json.dumps(_jsonable(document), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
