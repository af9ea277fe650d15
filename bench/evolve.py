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
   mutator, judge and reflection stay offline (its replies are not valid generator output). Its
   replies (`reply="turns"`: a sentence naming the turn) are kept whole by user-turn cleaning, never
   repeat and hold no stop token, so every episode runs to max_turns; the run fails if the server
   saw fewer than evaluations × episodes × 2 × max_turns requests (an echoed greeting, the server's
   default reply, is agent speech the cleaning drops, which ended every episode on its first turn). The server
   integrates its in-flight request count over time. An episode has one request in flight at a
   time (user and agent turns alternate) and an evaluation has its episodes in flight at most, so
   the most a worker CPU keeps in flight is  bound = workers × min(user concurrency, episodes per
   evaluation).  busy share = (average requests in flight from the first request to the last
   answer, each moment counted up to the bound) ÷ bound. Counting up to the bound keeps the
   figure at most 1 when two evaluations of one CPU overlap: the in-flight integral is sampled
   every 0.2 s and each sample's average is capped (uncapped figures are printed too).
   Side by side in one run: the baseline with ray.evaluations_per_cpu = 1 and search.in_flight =
   W + 1 (one evaluation waits in Ray's queue; the figure measured before), then
   ray.evaluations_per_cpu = 2 (`--evaluations-per-cpu`) and search.in_flight = 2W: each worker
   (a threaded Ray actor) runs two evaluations at once, so one's sandbox runs and episodes overlap
   the CPU stages (fitness, reflection, result return) of the other, which left the LLM idle. `--repeat N` runs N
   such pairs. Also printed: the share in steady state (the span without one evaluation's worth
   of time at each end: ramp-up while a worker is cold, drain when one has no work left).
   Within an evaluation, each task's episodes start as soon as that task's personas exist (both
   runs have this; see evopersona/evaluation/pipeline.py).
3. Memory: each run prints the driver's and the largest Ray worker's peak RSS (the throughput runs
   are the quickstart configuration, shrunk as above), and so does `evopersona evolve
   runs/quickstart.toml` run as a user runs it, once per `--quickstart-per-cpu` value, with its
   time, stop reason, best score and evaluation statuses.

    python bench/evolve.py                    # 20-40 minutes on 2 heavily loaded cores
    python bench/evolve.py --skip-throughput --repeat 3
Ends with `RESULT evolve_llm_busy_share <busy share>`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
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
TASKS, PERSONAS, MAX_TURNS = 2, 3, 8
EPISODES_PER_EVALUATION = TASKS * PERSONAS
RAY_START_ATTEMPTS = 3


def _base_overrides(runs_dir: Path, evaluations: int) -> list[str]:
    return [
        f"runs_dir={runs_dir}",
        f"tasks.max_tasks={TASKS}",
        f"tasks.batch_size={TASKS}",
        f"tasks.personas_per_task={PERSONAS}",
        "fitness.reference_tasks=6",
        f"episodes.max_turns={MAX_TURNS}",
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
    memory: str = ""

    @property
    def per_minute(self) -> float:
        return 60.0 * self.evaluations / self.window_s

    @property
    def steady_per_minute(self) -> float:
        return 60.0 * self.steady_evaluations / self.steady_s


class Sampler:
    """A background thread that calls `sample()` every `every_s` seconds while in its `with` block."""

    def __init__(self, every_s: float) -> None:
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._every_s)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class CounterSampler(Sampler):
    """Samples a growing counter (busy CPU seconds, request-seconds in flight) to read its rate later."""

    def __init__(self, read: Callable[[], float], every_s: float = 0.25) -> None:
        super().__init__(every_s)
        self.samples: list[tuple[float, float]] = []
        self._read = read

    def sample(self) -> None:
        self.samples.append((time.time(), self._read()))

    def capped_rate_between(self, start: float, end: float, cap: float) -> float:
        """The counter's average growth per second between two wall times, each sampling interval's
        growth rate counted up to `cap` (nan when not covered)."""
        inside = [x for x in self.samples if start <= x[0] <= end]
        if len(inside) < 2:
            return float("nan")
        capped = sum(min((v1 - v0) / (t1 - t0), cap) * (t1 - t0) for (t0, v0), (t1, v1) in pairwise(inside) if t1 > t0)
        return capped / (inside[-1][0] - inside[0][0])

    def rate_between(self, start: float, end: float) -> float:
        """The counter's average growth per second between two wall times (nan when not covered)."""
        inside = [x for x in self.samples if start <= x[0] <= end]
        if len(inside) < 2:
            return float("nan")
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def busy_cpu_seconds() -> float:
    """The machine's busy CPU time so far (/proc/stat, all processes)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _kib(status: dict[str, str], key: str) -> int:
    return int(status.get(key, "0 kB").split()[0])


def _ray_workers(root: int) -> list[int]:
    """PIDs of the Ray worker processes (title `ray::…`, not Ray's agents) started under `root`."""
    children: dict[int, list[int]] = {}
    titles: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                titles[int(entry)] = f.read().split(b"\0", 1)[0].decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            stack.append(child)
            if titles.get(child, "").startswith("ray::") and not titles[child].endswith("Agent"):
                found.append(child)
    return found


class MemorySampler(Sampler):
    """Peak resident memory of a driver process and of each Ray worker it started.

    `driver_kib` is the largest RSS sampled while sampling, `driver_hwm_kib` the driver's lifetime
    peak (VmHWM; for this bench process it also counts work done before, such as the reference). A
    worker's figure is its own VmHWM, its peak over its life, read until it exits. Sandbox
    processes a worker spawns are not counted in it."""

    def __init__(self, driver: int | None = None, every_s: float = 0.25) -> None:
        super().__init__(every_s)
        self.driver = driver or os.getpid()
        self.driver_kib = 0
        self.driver_hwm_kib = 0
        self.workers_kib: dict[int, int] = {}

    def sample(self) -> None:
        try:
            status = _proc_status(self.driver)
        except OSError:
            return
        self.driver_kib = max(self.driver_kib, _kib(status, "VmRSS"))
        self.driver_hwm_kib = max(self.driver_hwm_kib, _kib(status, "VmHWM"))
        for pid in _ray_workers(self.driver):
            try:
                self.workers_kib[pid] = max(self.workers_kib.get(pid, 0), _kib(_proc_status(pid), "VmHWM"))
            except OSError:
                continue

    @property
    def worker_kib(self) -> int:
        return max(self.workers_kib.values(), default=0)

    def summary(self) -> str:
        return (f"peak RSS: driver {self.driver_kib / 1024:.0f} MB during the run (its lifetime peak "
                f"{self.driver_hwm_kib / 1024:.0f} MB), largest Ray worker {self.worker_kib / 1024:.0f} MB "
                f"(of {len(self.workers_kib)} worker processes)")


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
    for attempt in range(1, RAY_START_ATTEMPTS + 1):
        try:
            with CounterSampler(busy_cpu_seconds) as cpu, MemorySampler() as memory:
                summary = run_evolution(EvolveRequest(config_path=QUICKSTART, overrides=overrides), quiet)
            break
        except Exception as exc:  # Ray gives a starting node 30 s, which a loaded machine can exceed
            if "timed out during startup" not in str(exc) or attempt == RAY_START_ATTEMPTS:
                raise
            print(f"run {name}: Ray did not start in time (attempt {attempt}), retrying", file=sys.stderr, flush=True)
            shutil.rmtree(run_dir, ignore_errors=True)
            shutil.copytree(reference, run_dir / REFERENCE_DIR)
    if summary["stop_reason"] != "max_evaluations":
        raise RuntimeError(f"run {name} stopped early: {summary['stop_reason']}")
    phase = read_phase(run_dir, workers)
    phase.cores_busy = cpu.rate_between(phase.first_start, phase.last_finish)
    phase.memory = memory.summary()
    return phase


def llm_overrides(base_url: str, concurrency: int) -> list[str]:
    out: list[str] = []
    for role in ("user", "agent"):
        out += [f'llm.roles.{role}.model="openai/fake"', f'llm.roles.{role}.api_base="{base_url}"',
                f"llm.roles.{role}.concurrency={concurrency}", f"llm.roles.{role}.cache=false"]
    return out


def quickstart_memory(runs_dir: Path, per_cpu: int | None) -> tuple[MemorySampler, float, dict[str, object]]:
    """`evopersona evolve runs/quickstart.toml` as a user runs it, in its own process (so the
    driver's peak is the quickstart's alone), sampled with its Ray workers; `per_cpu` sets
    ray.evaluations_per_cpu (None: the configuration's default)."""
    command = [sys.executable, "-m", "evopersona", "evolve", str(QUICKSTART), "--set", f"runs_dir={runs_dir}",
               "--fresh", "--json"]
    if per_cpu is not None:
        command += ["--set", f"ray.evaluations_per_cpu={per_cpu}"]
    attempt = 1
    while True:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with MemorySampler(driver=child.pid) as memory:
            stdout, stderr = child.communicate()
        if child.returncode == 0:
            return memory, time.perf_counter() - start, json.loads(stdout)
        if "timed out during startup" not in stderr or attempt == RAY_START_ATTEMPTS:
            raise RuntimeError(f"the quickstart failed (exit {child.returncode}): {stderr[-2000:]}")
        print(f"quickstart: Ray did not start in time (attempt {attempt}), retrying", file=sys.stderr, flush=True)
        attempt += 1


@dataclass
class BusyShare:
    """One busy-share run: the server's in-flight integral against the bound."""

    in_flight: int
    per_cpu: int
    share: float
    uncapped: float
    whole: float
    steady: float
    span_s: float
    requests: int
    peak: int
    phase: Phase


def busy_share(runs_dir: Path, name: str, reference: Path, args: argparse.Namespace, in_flight: int,
               per_cpu: int) -> BusyShare:
    workers = args.llm_workers
    bound = workers * min(args.concurrency, EPISODES_PER_EVALUATION)
    with (FakeOpenAIProcess(latency_s=args.latency, reply="turns") as server,
          CounterSampler(lambda: server.stats().in_flight_seconds, every_s=0.2) as in_flight_s):
        phase = evolve(runs_dir, name, reference, args.llm_evaluations, workers, in_flight,
                       [*llm_overrides(server.base_url, args.concurrency), f"ray.evaluations_per_cpu={per_cpu}"])
        stats = server.stats()
    if stats.first_request_at is None or stats.last_request_end_at is None:
        raise RuntimeError("no LLM request reached the fake server")
    expected = phase.evaluations * EPISODES_PER_EVALUATION * 2 * MAX_TURNS
    if stats.requests < expected:
        raise RuntimeError(f"{stats.requests} LLM requests, {expected} expected: episodes ended before max_turns, "
                           "so this would not measure conversations of the stated length")
    # steady state: the span without one evaluation's worth of time at each end (ramp-up, drain)
    steady = in_flight_s.capped_rate_between(stats.first_request_at + phase.worker_s,
                                             stats.last_request_end_at - phase.worker_s, bound)
    share = in_flight_s.capped_rate_between(stats.first_request_at, stats.last_request_end_at, bound)
    return BusyShare(in_flight=in_flight, per_cpu=per_cpu, share=share / bound, uncapped=stats.mean_in_flight() / bound,
                     whole=stats.in_flight_seconds / phase.window_s / bound, steady=steady / bound,
                     span_s=stats.last_request_end_at - stats.first_request_at, requests=stats.requests,
                     peak=stats.peak_in_flight, phase=phase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=24, help="evaluations per throughput run")
    parser.add_argument("--llm-evaluations", type=int, default=12, help="evaluations in the busy-share run")
    parser.add_argument("--latency", type=float, default=0.5, help="fake LLM latency in seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="user/agent concurrency per worker")
    parser.add_argument("--llm-workers", type=int, default=2)
    parser.add_argument("--llm-in-flight", type=int, default=None,
                        help="search.in_flight of the busy-share run (default: workers × evaluations per CPU; "
                        "the baseline has workers + 1)")
    parser.add_argument("--evaluations-per-cpu", type=int, default=2,
                        help="ray.evaluations_per_cpu of the busy-share run (the baseline has 1)")
    parser.add_argument("--repeat", type=int, default=1, help="busy-share pairs (baseline, then the run) to show the noise")
    parser.add_argument("--skip-throughput", action="store_true", help="no throughput runs")
    parser.add_argument("--skip-quickstart", action="store_true", help="no memory measurement of the quickstart")
    parser.add_argument("--quickstart-per-cpu", type=int, nargs="+", default=[None],
                        help="run the quickstart once per ray.evaluations_per_cpu given (default: once, as configured)")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy")

    with tempfile.TemporaryDirectory(prefix="evolve-bench-") as tmp:
        runs_dir = Path(tmp)
        t0 = time.perf_counter()
        reference = build_reference(runs_dir, args.evaluations)
        print(f"reference (built once, offline): {time.perf_counter() - t0:.1f} s", flush=True)

        if not args.skip_throughput:
            phases = {w: evolve(runs_dir, f"w{w}", reference, args.evaluations, w, w, []) for w in (1, 2)}
            print(f"throughput, offline LLM, {args.evaluations} evaluations of {TASKS} tasks × {PERSONAS} personas, "
                  "8-turn episodes; ray.num_cpus = search.in_flight = W")
            for w, p in phases.items():
                print(f"  W={w}: {p.per_minute:6.1f} evaluations/min over the phase ({p.window_s:.1f} s), "
                      f"{p.steady_per_minute:6.1f}/min steady ({p.steady_evaluations} after the first {w}), "
                      f"worker time per evaluation {p.worker_s:.2f} s, machine CPU busy {p.cores_busy:.2f} of "
                      f"{os.cpu_count()} cores, statuses {p.statuses}")
                print(f"        {p.memory}")
            print(f"  scaling ratio W=2 / W=1: {phases[2].per_minute / phases[1].per_minute:.2f} over the phase, "
                  f"{phases[2].steady_per_minute / phases[1].steady_per_minute:.2f} steady (2 cores: ideal 2.0)",
                  flush=True)

        for per_cpu in [] if args.skip_quickstart else args.quickstart_per_cpu:
            memory, seconds, summary = quickstart_memory(runs_dir / f"quickstart-{per_cpu}", per_cpu)
            opened = open_run(Path(str(summary["path"])))
            try:
                statuses = opened.store.status_counts(opened.run.id)
            finally:
                opened.store.close()
            setting = "as configured" if per_cpu is None else f"ray.evaluations_per_cpu={per_cpu}"
            print(f"memory, `evopersona evolve runs/quickstart.toml` ({setting}; offline, {summary.get('evaluations')} "
                  f"evaluations in {seconds:.0f} s, stop {summary.get('stop_reason')}, best score "
                  f"{summary.get('best_score')}, statuses {statuses}): {memory.summary()}", flush=True)

        workers = args.llm_workers
        in_flight = args.llm_in_flight or workers * args.evaluations_per_cpu
        bound = workers * min(args.concurrency, EPISODES_PER_EVALUATION)
        print(f"LLM busy share: user/agent at a loopback server with {args.latency:g} s latency, "
              f"{args.llm_evaluations} evaluations, W={workers} workers, concurrency {args.concurrency} per role "
              f"per worker; bound = W × min(concurrency, {EPISODES_PER_EVALUATION} episodes/evaluation) = {bound}")
        runs: list[tuple[BusyShare, BusyShare]] = []
        for r in range(args.repeat):
            pair = (busy_share(runs_dir, f"llm-base-{r}", reference, args, workers + 1, 1),
                    busy_share(runs_dir, f"llm-{r}", reference, args, in_flight, args.evaluations_per_cpu))
            runs.append(pair)
            for label, b in zip(("baseline", "this run"), pair, strict=True):
                p = b.phase
                print(f"  [{r}] {label:8s} search.in_flight={b.in_flight} ray.evaluations_per_cpu={b.per_cpu}: "
                      f"busy share {b.share:.3f} (average in flight {b.share * bound:.2f}, counted up to the bound, over "
                      f"{b.span_s:.1f} s from first request to last answer; uncapped {b.uncapped:.3f}); "
                      f"steady state {b.steady:.3f} (without one evaluation at each end); whole phase {b.whole:.3f}; requests {b.requests}, peak {b.peak}; per evaluation {p.worker_s:.2f} s "
                      f"in a worker, episodes {p.episodes_s:.2f} s; CPU busy {p.cores_busy:.2f} cores; "
                      f"statuses {p.statuses}", flush=True)
                print(f"        {p.memory}", flush=True)
        shares = [b.share for _, b in runs]
        ratios = [b.share / a.share for a, b in runs]
        print(f"  this run ÷ baseline: {', '.join(f'{x:.3f}' for x in ratios)}; busy share "
              f"{', '.join(f'{x:.3f}' for x in shares)} (median {statistics.median(shares):.3f})")
    print(f"RESULT evolve_llm_busy_share {statistics.median(shares):.3f}")


if __name__ == "__main__":
    main()
