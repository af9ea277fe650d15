"""Seed programs: found by name among the bundled programs, or by path."""

from __future__ import annotations

from evopersona.resources import read_program


def load_seed_code(name: str) -> str:
    return read_program(name)[1]
