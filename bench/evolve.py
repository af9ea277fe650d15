"""Evolution throughput with 1 and 2 Ray workers, and how busy the engine keeps a slow LLM.

Both parts run the real `evolve` command (`run_evolution`) on the quickstart config, shrunk with
overrides (2 tasks × 3 personas per evaluation, 8-turn episodes, a fixed number of evaluations).
The fitness reference is built once, offline, and copied into every run's folder, so each run
measures only its evolution phase, read back from the database (evaluation start/finish times).

1. Throughput (every role offline): ray.num_cpus = search.in_flight = 1, then 2. Evaluations per
   minute over the whole phase (first start → last finish, Ray worker start-up included) and in
   steady state (the W-th finish → the last finish, W workers), and their ratio 2 workers ÷ 1.
2. LLM busy share: the `user` and `agent` roles go to a loopback OpenAI-compatible server
   (evopersona.testing.fake_openai, own process) that answers after a fixed latency; generator,
   mutator, judge and reflection stay offline (the server's echo replies are not valid generator
   output). Its replies hold no stop token, so every episode runs to max_turns. The server
   integrates its in-flight request count over time. An episode has one request in flight at a
   time (user and agent turns alternate) and a worker evaluates one program at a time, so the most
   that can be in flight is  bound = workers × min(user concurrency, episodes per evaluation).
   busy share = (average requests in flight from the first request to the last answer) ÷ bound.
   search.in_flight = workers: a larger value would queue a job per worker and hide the driver's
   turnaround, but the engine then starts children before any seed has objectives and stops with
   `no_progress` (its slots look at `_pending` before the tasks pop it).

    python bench/evolve.py          # about 3-4 minutes on 2 cores
Ends with `RESULT evolve_llm_busy_share <busy share>`.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rich.console import Console

from evopersona.config import load_config
from evopersona.evaluation.reference import REFERENCE_DIR, ensure_reference
from evopersona.evolve.run import EvolveRequest, run_evolution
from evopersona.llm.factory import make_gateway
from evopersona.runs import open_run
from evopersona.testing.fake_openai import FakeOpenAIProcess

QUICKSTART = Path(__file__).resolve().parent.parent / "runs" / "quickstart.toml"
TASKS, PERSONAS = 2, 3
EPISODES_PER_EVALUATION = TASKS * PERSONAS


def _base_overrides(runs_dir: Path, evaluations: int) -> list[str]:
    return [
        f"runs_dir={runs_dir}",
        f"tasks.max_tasks={TASKS}",
        f"tasks.batch_size={TASKS}",
        f"tasks.personas_per_task={PERSONAS}",
        "fitness.reference_tasks=6",
        "episodes.max_turns=8",
        f"search.max_evaluations={evaluations}",
        "search.patience=1000",
    ]


@dataclass
class Phase:
    """The evolution phase of one run, as its database recorded it."""

    evaluations: int
    statuses: dict[str, int]
    window_s: float
    steady_s: float
    steady_evaluations: int
    first_start: float
    last_finish: float
    episodes_s: float
    worker_s: float
    cores_busy: float = float("nan")

    @property
    def per_minute(self) -> float:
        return 60.0 * self.evaluations / self.window_s

    @property
    def steady_per_minute(self) -> float:
        return 60.0 * self.steady_evaluations / self.steady_s


class CpuSampler:
    """Samples the machine's busy CPU time (/proc/stat) so a phase's core usage can be read back."""

    def __init__(self, every_s: float = 0.25) -> None:
        self.samples: list[tuple[float, float]] = []
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    @staticmethod
    def _busy_s() -> float:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self._busy_s()))
            self._stop.wait(self._every_s)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def cores_busy(self, start: float, end: float) -> float:
        """Average busy cores (all processes on the machine) between two wall times."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return float("nan")
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def read_phase(run_dir: Path, workers: int) -> Phase:
    opened = open_run(run_dir)
    try:
        rows = [evaluation for _, evaluation in opened.store.finished_evaluations(opened.run.id)]
    finally:
        opened.store.close()
    starts = [e.started_at.timestamp() for e in rows if e.started_at is not None]
    finishes = sorted(e.finished_at.timestamp() for e in rows if e.finished_at is not None)
    statuses: dict[str, int] = {}
    for e in rows:
        statuses[e.status] = statuses.get(e.status, 0) + 1
    return Phase(
        evaluations=len(rows),
        statuses=statuses,
        window_s=finishes[-1] - min(starts),
        steady_s=finishes[-1] - finishes[workers - 1],
        steady_evaluations=len(finishes) - workers,
        first_start=min(starts),
        last_finish=finishes[-1],
        episodes_s=statistics.mean(e.timings.get("episodes_s", 0.0) for e in rows),
        worker_s=statistics.mean(e.timings.get("total_s", 0.0) for e in rows),
    )


def build_reference(runs_dir: Path, evaluations: int) -> Path:
    """The offline fitness reference every run reuses (built inline, without Ray)."""
    config = load_config(QUICKSTART, [*_base_overrides(runs_dir, evaluations), "name=reference", "ray.executor=inline"])
    gateway = make_gateway(config)
    try:
        return ensure_reference(config, gateway)
    finally:
        gateway.close()


def evolve(runs_dir: Path, name: str, reference: Path, evaluations: int, workers: int, in_flight: int,
           extra: list[str]) -> Phase:
    run_dir = runs_dir / name
    shutil.copytree(reference, run_dir / REFERENCE_DIR)
    overrides = [*_base_overrides(runs_dir, evaluations), f"name={name}", f"ray.num_cpus={workers}",
                 f"search.in_flight={in_flight}", *extra]
    quiet = Console(file=io.StringIO(), quiet=True)
    with CpuSampler() as cpu:
        summary = run_evolution(EvolveRequest(config_path=QUICKSTART, overrides=overrides), quiet)
    if summary["stop_reason"] != "max_evaluations":
        raise RuntimeError(f"run {name} stopped early: {summary['stop_reason']}")
    phase = read_phase(run_dir, workers)
    phase.cores_busy = cpu.cores_busy(phase.first_start, phase.last_finish)
    return phase


def llm_overrides(base_url: str, concurrency: int) -> list[str]:
    out: list[str] = []
    for role in ("user", "agent"):
        out += [f'llm.roles.{role}.model="openai/fake"', f'llm.roles.{role}.api_base="{base_url}"',
                f"llm.roles.{role}.concurrency={concurrency}", f"llm.roles.{role}.cache=false"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=24, help="evaluations per throughput run")
    parser.add_argument("--llm-evaluations", type=int, default=12, help="evaluations in the busy-share run")
    parser.add_argument("--latency", type=float, default=0.5, help="fake LLM latency in seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="user/agent concurrency per worker")
    parser.add_argument("--llm-workers", type=int, default=2)
    parser.add_argument("--llm-in-flight", type=int, default=None, help="search.in_flight (default: workers; more than the 2 seed programs stops the run at once, "
                             "see the engine note in the docstring)")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy")

    with tempfile.TemporaryDirectory(prefix="evolve-bench-") as tmp:
        runs_dir = Path(tmp)
        t0 = time.perf_counter()
        reference = build_reference(runs_dir, args.evaluations)
        print(f"reference (built once, offline): {time.perf_counter() - t0:.1f} s")

        phases = {w: evolve(runs_dir, f"w{w}", reference, args.evaluations, w, w, []) for w in (1, 2)}
        print(f"throughput, offline LLM, {args.evaluations} evaluations of {TASKS} tasks × {PERSONAS} personas, "
              "8-turn episodes; ray.num_cpus = search.in_flight = W")
        for w, p in phases.items():
            print(f"  W={w}: {p.per_minute:6.1f} evaluations/min over the phase ({p.window_s:.1f} s), "
                  f"{p.steady_per_minute:6.1f}/min steady ({p.steady_evaluations} after the first {w}), "
                  f"worker time per evaluation {p.worker_s:.2f} s, machine CPU busy {p.cores_busy:.2f} of "
                  f"{os.cpu_count()} cores, statuses {p.statuses}")
        print(f"  scaling ratio W=2 / W=1: {phases[2].per_minute / phases[1].per_minute:.2f} over the phase, "
              f"{phases[2].steady_per_minute / phases[1].steady_per_minute:.2f} steady (2 cores: ideal 2.0)")

        workers = args.llm_workers
        in_flight = args.llm_in_flight or workers
        bound = workers * min(args.concurrency, EPISODES_PER_EVALUATION)
        with FakeOpenAIProcess(latency_s=args.latency) as server:
            phase = evolve(runs_dir, "llm", reference, args.llm_evaluations, workers, in_flight,
                           llm_overrides(server.base_url, args.concurrency))
            stats = server.stats()
        if stats.first_request_at is None or stats.last_request_end_at is None:
            raise RuntimeError("no LLM request reached the fake server")
        span = stats.last_request_end_at - stats.first_request_at
        mean = stats.mean_in_flight()
        share = mean / bound
        whole = stats.in_flight_seconds / phase.window_s
        print(f"LLM busy share: user/agent at a loopback server with {args.latency:g} s latency, "
              f"{args.llm_evaluations} evaluations, W={workers} workers, search.in_flight={in_flight}, "
              f"concurrency {args.concurrency} per role per worker")
        print(f"  requests {stats.requests}, peak in flight {stats.peak_in_flight}, "
              f"bound = W × min(concurrency, {EPISODES_PER_EVALUATION} episodes/evaluation) = {bound}")
        print(f"  average in flight {mean:.2f} from first request to last answer "
              f"({span:.1f} s) → busy share {share:.3f}")
        print(f"  over the whole evolution phase ({phase.window_s:.1f} s, worker start-up and last fitness included): "
              f"{whole:.2f} in flight → {whole / bound:.3f}")
        print(f"  per evaluation in a worker: {phase.worker_s:.2f} s, of which episodes {phase.episodes_s:.2f} s "
              f"({phase.episodes_s / phase.worker_s:.3f}); machine CPU busy {phase.cores_busy:.2f} cores; "
              f"statuses {phase.statuses}")
    print(f"RESULT evolve_llm_busy_share {share:.3f}")


if __name__ == "__main__":
    main()
