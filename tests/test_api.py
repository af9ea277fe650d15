"""The Python API: lazy re-export from the package, open a run, front, programs, sampling, and the
runnable example of the README executed against a real run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import evopersona
from evopersona.api import NotFound

DOC = Path(__file__).resolve().parent.parent / "README.md"


def test_import_stays_cheap() -> None:
    code = ("import sys, evopersona; heavy = [m for m in ('ray', 'litellm', 'sklearn', 'sqlalchemy', 'evopersona.api') "
            "if m in sys.modules]; print(heavy); evopersona.open_run; print('evopersona.api' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]
    with pytest.raises(AttributeError):
        evopersona.no_such_name  # noqa: B018


def test_open_run_front_program_and_sample(results_run: Path) -> None:
    with evopersona.open_run(results_run) as run:
        front = run.front()
        assert front and run.summary()["best_program_id"] == front[0].program_id
        best = run.program()
        assert best.id == front[0].program_id and best.objectives is not None and best.objectives.feasible
        assert best.lineage[-1].mutation_kind == "seed"
        seed = run.program(best.lineage[-1].program_id)
        assert seed.is_seed and seed.seed_name
        with pytest.raises(NotFound, match="no program 9999"):
            run.program(9999)
        with pytest.raises(NotFound, match="no task with id"):
            run.task("no-such-task")
        personas = run.sample("5", n=2, seed=4, source="retail")
        assert len(personas) == 2 and personas == run.sample(run.task("5", "retail"), n=2, seed=4)
        block = evopersona.persona_prompt_block(personas[0].policy)
        assert personas[0].policy.strip() in block and "HOW you communicate" in block
    with pytest.raises(NotFound, match="run folder not found"):
        evopersona.open_run(results_run.parent / "missing")


def test_readme_example_runs(results_run: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    done = subprocess.run([sys.executable, "-c", blocks[0]], cwd=results_run.parent.parent, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "# Your communication style for this conversation" in done.stdout
