"""Evolution as a user runs it: real subprocesses, a real SQLite file, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMALL = [
    "--set", "tasks.max_tasks=2", "--set", "tasks.batch_size=2", "--set", "tasks.personas_per_task=3",
    "--set", "fitness.reference_tasks=3", "--set", "fitness.baseline_personas_per_task=2",
    "--set", "episodes.max_turns=6", "--set", "search.patience=100",
]


def _cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evopersona", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "quickstart.toml").write_text((REPO / "runs" / "quickstart.toml").read_text())
    return tmp_path


def _finished(db: Path) -> list[tuple]:
    """Finished evaluations; none while the run is still creating its tables."""
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(
                "select e.id, e.program_id, e.status, e.objectives from evaluations e "
                "where e.status in ('done','failed','infeasible') order by e.id"
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def test_evolve_inline_then_front_and_status_read_it_back(workdir: Path):
    result = _cli("evolve", "runs/quickstart.toml", "--executor", "inline", "--max-evaluations", "5", *SMALL, "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["evaluations"] == 5
    assert summary["stop_reason"] == "max_evaluations"
    assert summary["front"], "a feasible front exists"
    assert Path(summary["path"]).resolve() == (workdir / "runs" / "quickstart").resolve()

    front = json.loads(_cli("front", "runs/quickstart", "--json", cwd=workdir).stdout)
    assert [e["program_id"] for e in front["front"]] == [e["program_id"] for e in summary["front"]]
    assert all(0 <= e["objectives"]["score"] <= 1 for e in front["front"])

    status = json.loads(_cli("status", "runs/quickstart", "--json", cwd=workdir).stdout)
    assert sum(status["evaluations"].values()) == 5
    assert status["programs"] == 5
    assert status["llm"]["calls"] > 0
    assert status["best_score"] == pytest.approx(max(e["objectives"]["score"] for e in front["front"]))

    again = _cli("evolve", "runs/quickstart.toml", "--executor", "inline", cwd=workdir)
    assert again.returncode == 2
    assert "--resume" in again.stderr and "Traceback" not in again.stderr


def test_bad_run_inputs_are_exit_2(workdir: Path):
    result = _cli("evolve", "runs/missing.toml", cwd=workdir)
    assert result.returncode == 2 and "config file not found" in result.stderr
    result = _cli("evolve", "runs/quickstart.toml", "--set", "search.islands=0", cwd=workdir)
    assert result.returncode == 2 and "search.islands" in result.stderr
    result = _cli("front", "runs/nothing", cwd=workdir)
    assert result.returncode == 2 and "run folder not found" in result.stderr


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_loses_nothing(workdir: Path):
    db = workdir / "runs" / "quickstart" / "evopersona.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "evopersona", "evolve", "runs/quickstart.toml", "--executor", "inline",
         "--max-evaluations", "10", *SMALL],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if db.exists() and len(_finished(db)) >= 4:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
        else:
            pytest.fail("the run did not finish 4 evaluations in time")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    before = _finished(db)
    assert 4 <= len(before) < 10

    result = _cli("evolve", "--resume", "runs/quickstart", "--executor", "inline", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    after = _finished(db)
    assert after[: len(before)] == before, "finished evaluations are kept unchanged"
    with sqlite3.connect(db) as conn:
        hashes = [h for (h,) in conn.execute("select code_hash from programs")]
        per_program = conn.execute(
            "select program_id, count(*) from evaluations where status in ('done','failed','infeasible') group by program_id having count(*) > 1"
        ).fetchall()
    assert len(hashes) == len(set(hashes)), "no program was created twice"
    assert per_program == [], "no program was evaluated to completion twice"
    assert len(after) == 10
    assert json.loads(result.stdout)["evaluations"] == 10


@pytest.mark.slow
def test_ray_executor_runs_evaluations(workdir: Path):
    result = _cli("evolve", "runs/quickstart.toml", "--max-evaluations", "4", "--set", "ray.num_cpus=2", *SMALL, "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["evaluations"] == 4
    assert summary["llm"]["calls"] > 0


@pytest.mark.slow
def test_ctrl_c_finishes_in_flight_work_and_leaves_the_run_resumable(workdir: Path):
    db = workdir / "runs" / "quickstart" / "evopersona.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "evopersona", "evolve", "runs/quickstart.toml", "--executor", "inline",
         "--max-evaluations", "8", *SMALL],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (db.exists() and len(_finished(db)) >= 2):
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-3000:]
    assert "finishing in-flight evaluations" in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from runs").fetchone()[0] == "interrupted"
        assert conn.execute("select count(*) from evaluations where status in ('running', 'pending')").fetchone()[0] == 0
    stopped_at = len(_finished(db))
    assert stopped_at < 8
    result = _cli("evolve", "--resume", "runs/quickstart", "--executor", "inline", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["evaluations"] == 8


def test_budget_stops_the_run_cleanly_and_resume_keeps_it_spent(workdir: Path):
    result = _cli("evolve", "runs/quickstart.toml", "--executor", "inline", "--max-evaluations", "30", *SMALL,
                  "--set", "llm.budget.max_calls=350", "--json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["stop_reason"] == "budget"
    assert 0 < summary["evaluations"] < 30
    assert summary["llm"]["calls"] <= 350 + 200, "in-flight work may finish, nothing new starts"
    again = _cli("evolve", "--resume", "runs/quickstart", "--executor", "inline", "--json", cwd=workdir)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["stop_reason"] == "budget"
