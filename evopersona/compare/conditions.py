"""The programs a comparison runs, from what the user typed.

A condition is a generator program file (a path, or a bundled name such as `baseline.py`) or a
program of an evolution run: `runs/<name>:best` (the best-scoring program of the run's front) or
`runs/<name>:<program id>`. Every program passes the sandbox's static gate before anything runs,
so a bad program is a bad input (exit 2), not a failure halfway through the comparison.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from evopersona.config import RunConfig
from evopersona.errors import InputError
from evopersona.resources import read_program
from evopersona.runs import open_run
from evopersona.sandbox.gate import GateRejected, check_source

_RUN_REF = re.compile(r"^(?P<run>.+):(?P<which>best|\d+)$")


class Condition(BaseModel):
    """One row of the comparison: a program to run on every task."""

    name: str
    source: str
    code: str
    run_dir: str | None = None
    program_id: int | None = None


class NamedRun(BaseModel):
    """A run a condition came from: its folder and configuration (for the reference and split checks)."""

    run_dir: str
    config: RunConfig


def _program_file(spec: str) -> Condition:
    path, code = read_program(spec)
    return Condition(name=path.stem, source=str(path), code=code)


def _run_program(spec: str, run: str, which: str) -> tuple[Condition, NamedRun]:
    opened = open_run(run)
    try:
        if which == "best":
            program = opened.best_program()
        else:
            program = opened.store.get_program(int(which))
            if program is None or program.run_id != opened.run.id:
                raise InputError(f"{spec}: run '{opened.config.name}' has no program {which}")
        name = f"{opened.config.name}:{which}"
        source = f"{opened.run_dir}:{which} (program {program.id})"
        condition = Condition(name=name, source=source, code=program.code, run_dir=str(opened.run_dir),
                              program_id=program.id)
        return condition, NamedRun(run_dir=str(opened.run_dir), config=opened.config)
    finally:
        opened.store.close()


def _unique(name: str, taken: set[str]) -> str:
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}#{k}", k + 1
    taken.add(candidate)
    return candidate


def resolve_conditions(specs: list[str]) -> tuple[list[Condition], list[NamedRun]]:
    """Conditions in the order given, plus the runs they name (each once, in order of first mention)."""
    if not specs:
        raise InputError("no programs to compare: give --programs, e.g. --programs baseline.py axes_seed.py runs/quickstart:best")
    conditions: list[Condition] = []
    runs: dict[str, NamedRun] = {}
    taken: set[str] = set()
    for spec in specs:
        match = _RUN_REF.match(spec)
        if match and not Path(spec).is_file():
            condition, run = _run_program(spec, match["run"], match["which"])
            runs.setdefault(str(Path(run.run_dir).resolve()), run)
        elif ":" in spec and not Path(spec).is_file():
            raise InputError(f"bad run reference '{spec}': use runs/<name>:best or runs/<name>:<program id>")
        else:
            condition = _program_file(spec)
        try:
            check_source(condition.code)
        except GateRejected as exc:
            raise InputError(f"{spec}: program rejected by the sandbox gate: {exc}") from None
        conditions.append(condition.model_copy(update={"name": _unique(condition.name, taken)}))
    return conditions, list(runs.values())
