"""Cluster-true Ray: a head with 0 CPUs and worker nodes whose private mount namespace hides the
driver's working folder (an empty tmpfs there, as on another machine). Token authentication is on.

One cluster serves the module: an evolution of 8 evaluations submitted with `ray job submit` through the
head's dashboard runs on one worker node, then a second worker node joins and the first is stopped
mid-run (those runs use the README's `--ray-address` recipe), then every worker node is stopped.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evopersona.testing.ray_cluster import LocalRayCluster, RayNode

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SMALL = [
    "--set", "tasks.max_tasks=2", "--set", "tasks.batch_size=1", "--set", "tasks.personas_per_task=2",
    "--set", "fitness.reference_tasks=3", "--set", "fitness.baseline_personas_per_task=2",
    "--set", "episodes.max_turns=4", "--set", "search.patience=100",
]


class Cluster:
    def __init__(self, ray: LocalRayCluster, work: Path, first_worker: RayNode) -> None:
        self.ray, self.work, self.first_worker = ray, work, first_worker

    def evolve(self, name: str, *args: str, timeout: float = 900) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "evopersona", "evolve", "runs/quickstart.toml", "--ray-address", self.ray.address,
                   "--set", f"name={name}", *SMALL, *args, "--json"]
        return subprocess.Popen(command, cwd=self.work, env=self.ray.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="epc"))
    work = root / "work"
    (work / "runs").mkdir(parents=True)
    (work / "runs" / "quickstart.toml").write_text((REPO / "runs" / "quickstart.toml").read_text())
    ray = LocalRayCluster(root / "n")
    try:
        ray.start_head()
        first = ray.add_worker(num_cpus=2, hidden=[work])
        yield Cluster(ray, work, first)
    finally:
        ray.stop()
    shutil.rmtree(root, ignore_errors=True)


def _finish(process: subprocess.Popen[str], timeout: float = 900) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def _rows(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(query).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def test_an_evolution_submitted_with_ray_job_submit_runs_on_a_node_without_the_run_folder(cluster: Cluster):
    runs = cluster.work / "runs"
    entry = (f"{sys.executable} -m evopersona evolve {runs / 'quickstart.toml'} --ray-address auto --set name=jobrun "
             f"--set runs_dir={runs} --max-evaluations 8 " + " ".join(SMALL))
    result = subprocess.run(
        [sys.executable, "-m", "ray.scripts.scripts", "job", "submit", "--address", cluster.ray.dashboard_url, "--", *entry.split()],
        env=cluster.ray.env(), capture_output=True, text=True, timeout=900, cwd=cluster.work, check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "succeeded" in result.stdout.lower(), result.stdout[-3000:]
    statuses = dict(_rows(runs / "jobrun" / "evopersona.db", "select status, count(*) from evaluations group by status"))
    assert statuses.get("failed", 0) == 0 and sum(statuses.values()) == 8, statuses


def test_stopping_a_worker_node_mid_run_loses_nothing_and_runs_nothing_twice(cluster: Cluster):
    cluster.ray.add_worker(num_cpus=2, hidden=[cluster.work])
    process = cluster.evolve("nodeloss", "--max-evaluations", "10", "--set", "search.in_flight=4")
    db = cluster.work / "runs" / "nodeloss" / "evopersona.db"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and len(_rows(db, "select id from evaluations where status = 'done'")) >= 2:
            break
        time.sleep(1.0)
    before = _rows(db, "select id, program_id, objectives from evaluations where status in ('done','infeasible')")
    assert len(before) >= 2 and process.poll() is None, "the run was still going when the node stopped"
    cluster.first_worker.stop()

    code, out, err = _finish(process)
    assert code == 0, err[-3000:]
    assert json.loads(out)["evaluations"] == 10
    after = _rows(db, "select id, program_id, objectives from evaluations where status in ('done','infeasible')")
    assert set(before) <= set(after), "evaluations finished before the node stopped are kept unchanged"
    assert not _rows(db, "select id from evaluations where status = 'failed'")
    per_program = _rows(db, "select program_id, count(*) from evaluations group by program_id having count(*) > 1")
    assert not per_program, f"programs evaluated twice in the store: {per_program}"
    assert len(_rows(db, "select id from evaluations")) == 10


def test_a_run_that_loses_every_worker_node_says_so_and_exits_1(cluster: Cluster):
    process = cluster.evolve("lostall", "--max-evaluations", "30", "--set", "ray.workers_lost_after_s=10")
    db = cluster.work / "runs" / "lostall" / "evopersona.db"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and _rows(db, "select id from evaluations where status = 'done'"):
            break
        time.sleep(1.0)
    assert process.poll() is None, "the run was still going when its workers stopped"
    for node in [n for n in cluster.ray.nodes if n.name != "head"]:
        node.stop()
    code, _out, err = _finish(process, timeout=300)
    assert code == 1, err[-3000:]
    assert "lost its workers after" in err and "--resume" in err and "Traceback" not in err
    assert _rows(db, "select id from evaluations where status = 'done'"), "finished work is kept"
