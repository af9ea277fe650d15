"""Evaluations per minute with 1 and then 2 Ray worker nodes, side by side in one cluster.

A real multi-node cluster on this machine (evopersona.testing.ray_cluster): a head with 0 CPUs and
worker nodes of 1 CPU each, in private mount namespaces that hide the runs folder (so the workers
use only what reaches them through Ray). Evaluations are LLM-latency bound: the `user` and `agent`
roles go to the loopback OpenAI-compatible server (evopersona.testing.fake_openai) with a fixed
latency, answering each turn with a sentence that user-turn cleaning keeps (`reply="turns"`), so
every episode runs to max_turns; every other role stays offline. The fitness reference is built once
and copied into each run. Each phase runs `evopersona evolve --ray-address ...` with search.in_flight = worker nodes.

    python bench/cluster_scaling.py            # about 6-10 minutes on 2 shared cores

Evaluations per minute in steady state (the W-th finish to the last finish, W worker nodes) and
over the whole phase; ends with `RESULT cluster_scaling_2_over_1 <ratio of steady rates>`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from evopersona.config import load_config
from evopersona.evaluation.reference import REFERENCE_DIR, ensure_reference
from evopersona.llm.factory import make_gateway
from evopersona.runs import open_run
from evopersona.testing.fake_openai import FakeOpenAIProcess
from evopersona.testing.ray_cluster import LocalRayCluster

QUICKSTART = Path(__file__).resolve().parent.parent / "runs" / "quickstart.toml"


TASKS, PERSONAS, MAX_TURNS = 2, 3, 6


def base_overrides(runs_dir: Path, evaluations: int) -> list[str]:
    return [f"runs_dir={runs_dir}", f"tasks.max_tasks={TASKS}", f"tasks.batch_size={TASKS}",
            f"tasks.personas_per_task={PERSONAS}", "fitness.reference_tasks=6", f"episodes.max_turns={MAX_TURNS}",
            f"search.max_evaluations={evaluations}", "search.patience=1000"]


def llm_overrides(base_url: str) -> list[str]:
    out: list[str] = []
    for role in ("user", "agent"):
        out += [f'llm.roles.{role}.model="openai/fake"', f'llm.roles.{role}.api_base="{base_url}"',
                f"llm.roles.{role}.concurrency=16", f"llm.roles.{role}.cache=false"]
    return out


def build_reference(runs_dir: Path, evaluations: int) -> Path:
    config = load_config(QUICKSTART, [*base_overrides(runs_dir, evaluations), "name=reference", "ray.executor=inline"])
    gateway = make_gateway(config)
    try:
        return ensure_reference(config, gateway)
    finally:
        gateway.close()


def per_minute(run_dir: Path, workers: int) -> tuple[float, float]:
    """(steady, whole-phase) evaluations per minute from the run's database."""
    opened = open_run(run_dir)
    try:
        rows = [e for _, e in opened.store.finished_evaluations(opened.run.id)]
    finally:
        opened.store.close()
    if any(e.status == "failed" for e in rows):
        raise RuntimeError(f"{run_dir.name}: failed evaluations: {[e.error for e in rows if e.status == 'failed'][:2]}")
    finishes = sorted(e.finished_at.timestamp() for e in rows if e.finished_at is not None)
    first_start = min(e.started_at.timestamp() for e in rows if e.started_at is not None)
    steady = (len(finishes) - workers) / (finishes[-1] - finishes[workers - 1]) * 60
    whole = len(finishes) / (finishes[-1] - first_start) * 60
    return steady, whole


def evolve(cluster: LocalRayCluster, runs_dir: Path, name: str, reference: Path, evaluations: int, workers: int,
           llm: list[str]) -> tuple[float, float]:
    shutil.copytree(reference, runs_dir / name / REFERENCE_DIR)
    overrides = [*base_overrides(runs_dir, evaluations), f"name={name}", f"search.in_flight={workers}", *llm]
    command = [sys.executable, "-m", "evopersona", "evolve", str(QUICKSTART), "--ray-address", cluster.address,
               *(arg for o in overrides for arg in ("--set", o)), "--json"]
    env = {**cluster.env(), "OPENAI_API_KEY": "sk-bench-dummy"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{name}: evolve exited {result.returncode}: {result.stderr[-2000:]}")
    return per_minute(runs_dir / name, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=8, help="evaluations per phase")
    parser.add_argument("--latency", type=float, default=1.0, help="fake LLM latency in seconds")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ecs"))
    runs_dir = root / "runs"
    cluster = LocalRayCluster(root / "n")
    try:
        with FakeOpenAIProcess(latency_s=args.latency, reply="turns") as server:
            llm = llm_overrides(f"http://127.0.0.1:{server.port}/v1")
            reference = build_reference(runs_dir, args.evaluations)
            cluster.start_head()
            cluster.add_worker(num_cpus=1, hidden=[runs_dir])
            one = evolve(cluster, runs_dir, "one_node", reference, args.evaluations, 1, llm)
            cluster.add_worker(num_cpus=1, hidden=[runs_dir])
            two = evolve(cluster, runs_dir, "two_nodes", reference, args.evaluations, 2, llm)
            requests, expected = server.stats().requests, 2 * args.evaluations * TASKS * PERSONAS * 2 * MAX_TURNS
            if requests < expected:
                raise RuntimeError(f"{requests} LLM requests, {expected} expected: episodes ended before max_turns, "
                                   "so the phases did not hold conversations of the stated length")
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"LLM latency {args.latency} s, {args.evaluations} evaluations per phase, 1 CPU per worker node")
    print(f"1 worker node : {one[0]:.2f} evaluations/min steady ({one[1]:.2f} over the whole phase)")
    print(f"2 worker nodes: {two[0]:.2f} evaluations/min steady ({two[1]:.2f} over the whole phase)")
    print(f"2 nodes / 1 node: {two[0] / one[0]:.2f} steady, {two[1] / one[1]:.2f} whole phase")
    print(f"RESULT cluster_scaling_2_over_1 {two[0] / one[0]:.2f}")


if __name__ == "__main__":
    main()
