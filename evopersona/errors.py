"""Errors that a command boundary turns into a clear message and an exit code."""


class EvoPersonaError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1


class InputError(EvoPersonaError):
    """The user's input (a file, a flag, a config value) is wrong: exit code 2."""

    exit_code = 2


class WorkFailed(EvoPersonaError):
    """The input was fine but the work could not be done: exit code 1."""

    exit_code = 1


def one_line(text: str, limit: int = 300) -> str:
    """A message on one line (tracebacks and multi-line causes condensed for a summary or a log line)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
