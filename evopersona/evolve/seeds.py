"""Seed programs: found by name among the bundled programs, or by path."""

from __future__ import annotations

from pathlib import Path

from evopersona.errors import InputError
from evopersona.resources import programs_dir


def resolve_program_path(name: str) -> Path:
    """A program file given as a path, or as a bundled program's file name (`axes_seed.py`)."""
    path = Path(name)
    if path.is_file():
        return path
    bundled = programs_dir() / path.name
    if bundled.is_file():
        return bundled
    available = ", ".join(sorted(p.name for p in programs_dir().glob("*.py")))
    raise InputError(f"program '{name}' not found (bundled programs: {available})")


def load_seed_code(name: str) -> str:
    return resolve_program_path(name).read_text(encoding="utf-8")
