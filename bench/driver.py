"""How many evaluations per second one driver absorbs, and its peak memory over a long run.

The real `EvolutionEngine` on a real SQLite store, with everything outside the driver made instant:
the executor answers each job at once with a realistic result (objectives, 6 personas, 6 episodes of
14 turns, a reflection, LLM call records), and the mutator answers at once with a valid child (the
parent with a fresh block of tuning constants). So what is measured is the driver's own work per
evaluation: commit, archive and front, islands and migration, parent selection, the mutation prompt,
diff checks (duplicate and near-duplicate) and the child's insert.

    python bench/driver.py                  # 1,000 evaluations, in flight 64
    python bench/driver.py --evaluations 300 --profile   # cProfile's top functions on stderr
    git archive OLD | tar -x -C /tmp/old && python bench/driver.py --baseline /tmp/old   # side by side

Ends with `RESULT driver_evaluations_per_s <x>` (goal >= 100: at a 60 s evaluation, one driver then
keeps 6,000 evaluations in flight). Also prints the driver's peak RSS (goal < 500 MB at 1,000) and
how many transactions it committed per evaluation.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from evopersona.config import RunConfig
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evolve.engine import EvolutionEngine
from evopersona.llm.ledger import Ledger
from evopersona.llm.transport import Answer
from evopersona.store.models import (
    EpisodeIn,
    EvaluationResult,
    LLMCallIn,
    Objectives,
    PersonaIn,
)
from evopersona.store.store import Store
from evopersona.tasks import load_domain

_TUNING = re.compile(r"\n# bench tuning\n_BENCH_TUNING = \[[^\]]*\]\n$")


class InstantMutator:
    """Stands in for the gateway on the driver: every mutator call returns a new valid child at once."""

    def __init__(self, seed: int) -> None:
        self.ledger = Ledger()
        self.rng = random.Random(seed)
        self.calls = 0

    async def acomplete(self, role: str, messages: list[dict[str, Any]], seed: int | None = None,
                        model: str | None = None) -> Answer:
        self.calls += 1
        parent = _parent_code(messages[-1]["content"])
        constants = ", ".join(str(self.rng.randrange(10**6)) for _ in range(24))
        child = _TUNING.sub("", parent) + f"\n# bench tuning\n_BENCH_TUNING = [{constants}]\n"
        return Answer(text=f"```python\n{child}```", tokens_in=0, tokens_out=0, cost_usd=0.0)

    def close(self) -> None:
        """Nothing to release."""


def _parent_code(prompt: str) -> str:
    """The parent program from the mutation prompt (its first fenced block)."""
    match = re.search(r"```python\n(.*?)```", prompt, re.DOTALL)
    if match is None:
        raise RuntimeError("the mutation prompt holds no ```python block with the parent")
    return match.group(1)


class InstantExecutor:
    """Answers every job at once with a result of realistic size and seeded objectives."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.jobs = 0

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        self.jobs += 1
        await asyncio.sleep(0)
        human, coverage = self.rng.random(), self.rng.random()
        objectives = Objectives(human_likeness=human, coverage=coverage, task_preservation=1.0,
                                score=0.6 * human + 0.4 * coverage, feasible=True)
        personas, episodes = [], []
        for task in job.tasks:
            for index in range(job.personas_per_task):
                persona_id = f"p{index}"
                personas.append(PersonaIn(task_id=task.id, persona_id=persona_id, description="a terse customer " * 8,
                                          axis_placement={"terse": True, "impatient": index % 2 == 0},
                                          policy="Speak briefly. " * 40))
                turns = [{"role": "user" if t % 2 == 0 else "assistant", "text": "a reply of some length " * 8} for t in range(14)]
                episodes.append(EpisodeIn(task_id=task.id, persona_id=persona_id, transcript={"turns": turns},
                                          ended_by="user_stop", agent_success=True))
        calls = [LLMCallIn(role="user", model="offline/user", tokens_in=900, tokens_out=40, latency_s=0.5) for _ in range(40)]
        result = EvaluationResult(status="done", objectives=objectives, metrics={"stage": "complete", "per_task": []},
                                  reflection="Personas were too cooperative; add interruptions. " * 6,
                                  timings={"total_s": 0.0}, personas=personas, episodes=episodes, llm_calls=calls)
        return EvaluationOutcome(program_id=job.program_id, stage="complete", result=result)

    def shutdown(self) -> None:
        """Nothing to release."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_driver(evaluations: int, in_flight: int, root: Path, profile: bool) -> tuple[float, float, int, int]:
    """Evaluations per second of one engine run to `evaluations`, the driver's CPU seconds per
    evaluation, how many mutator calls it made and how many transactions it committed."""
    config = RunConfig(
        name="driverbench", seed=3, runs_dir=str(root),
        tasks={"max_tasks": 3, "batch_size": 2, "personas_per_task": 3},
        search={"max_evaluations": evaluations, "in_flight": in_flight, "patience": None, "islands": 4,
                "migration_interval": 20, "max_code_length": 200_000},
        ray={"executor": "inline"},
    )
    config.run_dir().mkdir(parents=True)
    store = Store(config.storage_url())
    mutator = InstantMutator(seed=5)
    engine = EvolutionEngine(config, store, InstantExecutor(seed=7), mutator, load_domain("retail")[:3], str(root))  # type: ignore[arg-type]
    engine.bootstrap()
    commits = [0]
    event.listen(store.engine, "commit", lambda _conn: commits.__setitem__(0, commits[0] + 1))
    profiler = cProfile.Profile() if profile else None
    start, cpu_start = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    stats = asyncio.run(engine.run())
    if profiler is not None:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    store.close()
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
    if stats.finished != evaluations or stats.failed:
        raise RuntimeError(f"the bench run stopped early: {stats}")
    return stats.finished / elapsed, cpu / stats.finished, mutator.calls, commits[0]


def baseline_rate(path: str, evaluations: int, in_flight: int) -> tuple[float, float]:
    """This bench run on the evopersona package under `path` (older code) in a subprocess:
    its evaluations per second and CPU ms per evaluation."""
    command = [sys.executable, __file__, "--evaluations", str(evaluations), "--in-flight", str(in_flight)]
    output = subprocess.run(command, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, check=True).stdout
    rate = float(re.findall(r"^RESULT driver_evaluations_per_s (\S+)$", output, re.MULTILINE)[-1])
    cpu_ms = float(re.findall(r"^driver CPU per evaluation: (\S+) ms", output, re.MULTILINE)[-1])
    return rate, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions on stderr")
    parser.add_argument("--baseline", metavar="DIR", help="also run on the evopersona package in DIR (e.g. an "
                        "export of an older commit), right after this run, and print the ratio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="driverbench-") as tmp:
        rate, cpu, calls, commits = run_driver(args.evaluations, args.in_flight, Path(tmp), args.profile)
    rss = peak_rss_mb()
    print(f"driver: {args.evaluations} instant evaluations, in flight {args.in_flight}, {calls} mutator calls, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"driver CPU per evaluation: {cpu * 1000:.1f} ms (one free core: {1 / cpu:.0f} evaluations/s)")
    print(f"driver transactions: {commits} ({commits / args.evaluations:.2f} per evaluation: each child's insert, and "
          "the evaluations finished in one turn of the driver's loop together)")
    print(f"driver evaluations per second: {rate:.1f} (goal >= 100; at 60 s per evaluation one driver keeps "
          f"{rate * 60:.0f} evaluations in flight)")
    print(f"driver peak RSS: {rss:.0f} MB over {args.evaluations} evaluations (goal < 500 MB)")
    if args.baseline:
        old_rate, old_cpu_ms = baseline_rate(args.baseline, args.evaluations, args.in_flight)
        print(f"baseline ({args.baseline}): {old_rate:.1f} evaluations/s, {old_cpu_ms:.1f} ms CPU per evaluation; "
              f"this code {rate / old_rate:.1f}x the throughput, {old_cpu_ms / (cpu * 1000):.1f}x less CPU")
    print(f"RESULT driver_evaluations_per_s {rate:.1f}")


if __name__ == "__main__":
    main()
