"""Resolving what the user typed into conditions: files, bundled names, run programs, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evopersona.compare.conditions import resolve_conditions
from evopersona.errors import InputError
from evopersona.resources import programs_dir


def test_bundled_names_and_paths_resolve_and_duplicates_get_distinct_names() -> None:
    conditions, runs = resolve_conditions(["baseline.py", str(programs_dir() / "baseline.py"), "axes_seed.py"])
    assert [c.name for c in conditions] == ["baseline", "baseline#2", "axes_seed"]
    assert runs == []
    assert "NO_PERSONA = True" in conditions[0].code


def test_run_best_is_the_top_of_the_front_and_an_id_picks_that_program(make_run) -> None:
    run_dir = make_run()
    conditions, runs = resolve_conditions([f"{run_dir}:best", f"{run_dir}:2"])
    best, second = conditions
    assert best.name == "evolved:best" and best.program_id == 1
    assert "AXES" in best.code and best.code == (programs_dir() / "axes_seed.py").read_text(encoding="utf-8")
    assert second.program_id == 2 and second.name == "evolved:2"
    assert len(runs) == 1 and runs[0].config.name == "evolved"


@pytest.mark.parametrize("spec, message", [
    ("no_such_program.py", "not found"),
    ("runs/missing:best", "run folder not found"),
    ("runs/quickstart:latest", "bad run reference"),
])
def test_bad_specs_are_input_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        resolve_conditions([spec])


def test_unknown_program_id_and_gate_rejection_are_input_errors(make_run, tmp_path: Path) -> None:
    run_dir = make_run()
    with pytest.raises(InputError, match="has no program 99"):
        resolve_conditions([f"{run_dir}:99"])
    hostile = tmp_path / "hostile.py"
    hostile.write_text("import os\nAXES = []\ndef generate(task, n, llm, rng):\n    return os.listdir('/')\n")
    with pytest.raises(InputError, match="rejected by the sandbox gate"):
        resolve_conditions([str(hostile)])


def test_a_run_without_evaluated_programs_has_no_best(make_run) -> None:
    run_dir = make_run("empty", evaluated=False)
    with pytest.raises(InputError, match="no feasible evaluated program"):
        resolve_conditions([f"{run_dir}:best"])
