"""Test support shared by tests/service, tests/report, tests/export and tests/test_api.py: one small
offline quickstart run, evolved once per pytest session (the first conftest that asks builds it;
the others find it in the session's base temp folder).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_OVERRIDES = ("--set", "search.max_evaluations=4", "--set", "tasks.max_tasks=2",
                 "--set", "fitness.reference_tasks=6", "--set", "episodes.max_turns=8",
                 "--set", "tasks.personas_per_task=3", "--set", "fitness.baseline_personas_per_task=2",
                 "--executor", "inline")


def build_results_run(factory: pytest.TempPathFactory) -> Path:
    """The run folder `<base>/results/runs/quickstart`, evolved on first use."""
    root = factory.getbasetemp() / "results"
    run_dir = root / "runs" / "quickstart"
    if (run_dir / "evopersona.db").is_file():
        return run_dir
    (root / "runs").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "runs" / "quickstart.toml", root / "runs" / "quickstart.toml")
    done = subprocess.run([sys.executable, "-m", "evopersona", "evolve", "runs/quickstart.toml", *RUN_OVERRIDES],
                          cwd=root, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the test run failed:\n{done.stderr[-3000:]}")
    return run_dir

