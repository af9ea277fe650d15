"""Shared fixtures: repository paths and a helper that runs the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `evopersona ...` in a real subprocess (the console script's module entry point)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "evopersona", *args],
        cwd=cwd or REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


RESULTS_RUN_OVERRIDES = (
    "--set", "search.max_evaluations=4", "--set", "tasks.max_tasks=2", "--set", "fitness.reference_tasks=6",
    "--set", "episodes.max_turns=8", "--set", "tasks.personas_per_task=3",
    "--set", "fitness.baseline_personas_per_task=2", "--executor", "inline",
)


@pytest.fixture(scope="session")
def results_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small offline quickstart run, evolved once per session, shared by the service, report,
    export and API tests: `<base>/results/runs/quickstart`."""
    import shutil

    root = tmp_path_factory.getbasetemp() / "results"
    run_dir = root / "runs" / "quickstart"
    if (run_dir / "evopersona.db").is_file():
        return run_dir
    (root / "runs").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "runs" / "quickstart.toml", root / "runs" / "quickstart.toml")
    done = run_cli("evolve", "runs/quickstart.toml", *RESULTS_RUN_OVERRIDES, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"building the test run failed:\n{done.stderr[-3000:]}")
    return run_dir
