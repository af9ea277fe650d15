"""Does the search earn its cost? Full evolution vs best-of-N vs random search, offline.

Every strategy gets the same evaluation budget (`--evaluations`, the seed programs included) and
makes one mutator call per child (rejected answers are retried and counted), on the offline
provider, for `--seeds` run seeds each. Strategies (search.strategy):

- evolution: islands, Pareto/fitness selection, inspirations (the product's default search);
- best_of_n: every child is a mutation of a seed program: N independent children, no selection;
- random:    every child is a mutation of a program drawn uniformly from all evaluated ones.

Evaluations run in-process (inline executor) on a small task set that every evaluation sees in
full, so a program's score is a function of its code and the run seed: an evaluation cache keyed
on (seed, code hash) lets identical programs (the seeds, repeated children) be scored once across
strategies. The anytime curve is the best feasible score after k evaluations, mean and 95% CI
(t interval) over seeds. A second part runs evolution with the novelty filter on (same seeds) and
reports the children it rejected before evaluation, and the evaluations each run needed to reach
the unfiltered run's final best score.

    python bench/search.py                      # about 5-10 minutes on 2 cores
    python bench/search.py --svg search.svg     # also draw the curves

Ends with `RESULT evolution_minus_best_of_n_low <x>` and `RESULT evolution_minus_best_of_n <x>`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from scipy import stats as scipy_stats

from evopersona.config import RunConfig, load_config
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evaluation.reference import REFERENCE_DIR, ensure_reference
from evopersona.evaluation.tasks import select_tasks
from evopersona.evolve.engine import EvolutionEngine
from evopersona.evolve.executor import InlineExecutor
from evopersona.llm.factory import make_gateway
from evopersona.store.codehash import code_hash
from evopersona.store.store import Store

QUICKSTART = Path(__file__).resolve().parent.parent / "runs" / "quickstart.toml"
STRATEGIES = ("evolution", "best_of_n", "random")
NOVELTY = ["search.strategy=evolution", "search.novelty.behaviour_similarity=0.998"]


def overrides(runs_dir: Path, evaluations: int, tasks: int, personas: int) -> list[str]:
    return [
        f"runs_dir={runs_dir}", f"tasks.max_tasks={tasks}", f"tasks.batch_size={tasks}",
        f"tasks.personas_per_task={personas}", "fitness.reference_tasks=6", "fitness.baseline_personas_per_task=2",
        "episodes.max_turns=8", f"search.max_evaluations={evaluations}", "search.patience=100000",
        "search.in_flight=1", "search.max_mutation_attempts=20", "ray.executor=inline",
    ]


class CachedExecutor:
    """The inline executor behind a cache of outcomes keyed on (run seed, code hash)."""

    def __init__(self) -> None:
        self.inner = InlineExecutor()
        self.cache: dict[tuple[int, str], EvaluationOutcome] = {}
        self.computed = 0

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        key = (job.seed, code_hash(job.code))
        if key not in self.cache:
            self.computed += 1
            self.cache[key] = await self.inner.submit(job)
        return self.cache[key].model_copy(update={"program_id": job.program_id})

    def shutdown(self) -> None:
        self.inner.shutdown()


@dataclass
class Curve:
    """One run: the best feasible score after each evaluation, and what the run spent."""

    best: list[float]
    mutator_calls: int
    rejections: dict[str, int] = field(default_factory=dict)


def run_once(config: RunConfig, reference: Path, executor: CachedExecutor) -> Curve:
    shutil.copytree(reference, config.run_dir() / REFERENCE_DIR)
    store = Store(config.storage_url())
    gateway = make_gateway(config)
    try:
        engine = EvolutionEngine(config, store, executor, gateway, select_tasks(config), str(config.run_dir() / REFERENCE_DIR))
        engine.bootstrap()
        stats = asyncio.run(engine.run())
        if stats.stop_reason != "max_evaluations":
            raise RuntimeError(f"{config.name} stopped early: {stats.stop_reason} ({engine.fatal!r})") from engine.fatal
        history = store.history(engine.run_id)
        mutator = store.llm_totals(engine.run_id).by_role.get("mutator")
        mutator_calls = mutator.calls if mutator is not None else 0
        rejections = store.rejection_counts(engine.run_id)
    finally:
        gateway.close()
        store.close()
    best, running = [], 0.0
    for row in history:
        running = max(running, row.best_score or 0.0)
        best.append(running)
    return Curve(best, mutator_calls, rejections)


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and the 95% t interval (degenerate when every value is equal)."""
    mean = statistics.fmean(values)
    if len(values) < 2 or statistics.stdev(values) == 0:
        return mean, mean, mean
    half = scipy_stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5
    return mean, mean - half, mean + half


def anytime_table(curves: dict[str, list[Curve]], checkpoints: list[int]) -> str:
    lines = ["best feasible score after k evaluations: mean [95% CI] over seeds",
             f"{'k':>4}  " + "  ".join(f"{s:>24}" for s in curves)]
    for k in checkpoints:
        cells = []
        for runs in curves.values():
            mean, low, high = mean_ci([c.best[k - 1] for c in runs])
            cells.append(f"{mean:.4f} [{low:.4f},{high:.4f}]".rjust(24))
        lines.append(f"{k:>4}  " + "  ".join(cells))
    return "\n".join(lines)


def draw_svg(curves: dict[str, list[Curve]], path: Path) -> None:
    """Mean anytime curves with 95% CI bands, as a dependency-free SVG."""
    width, height, pad = 640, 360, 50
    colours = {"evolution": "#1f77b4", "best_of_n": "#d62728", "random": "#2ca02c", "evolution_no_novelty": "#9467bd"}
    series = {name: [mean_ci([c.best[k] for c in runs]) for k in range(len(runs[0].best))] for name, runs in curves.items()}
    values = [v for points in series.values() for p in points for v in p]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    n = max(len(p) for p in series.values())

    def xy(k: int, v: float) -> str:
        return f"{pad + (width - 2 * pad) * k / max(n - 1, 1):.1f},{height - pad - (height - 2 * pad) * (v - low) / span:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{pad}" y="20">best feasible score after k evaluations (mean, 95% CI)</text>',
             f'<text x="{pad - 45}" y="{height - pad + 4}">{low:.3f}</text><text x="{pad - 45}" y="{pad + 4}">{high:.3f}</text>',
             f'<text x="{width - pad - 10}" y="{height - pad + 20}">k={n}</text>']
    for index, (name, points) in enumerate(series.items()):
        colour = colours.get(name, "#555")
        band = [xy(k, p[2]) for k, p in enumerate(points)] + [xy(k, p[1]) for k, p in reversed(list(enumerate(points)))]
        parts.append(f'<polygon points="{" ".join(band)}" fill="{colour}" opacity="0.15"/>')
        parts.append(f'<polyline points="{" ".join(xy(k, p[0]) for k, p in enumerate(points))}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{pad + 10}" y="{pad + 15 * index}" fill="{colour}">{name}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def first_reaching(curve: Curve, score: float) -> int | None:
    """Evaluations a run needed to reach `score` (None if it never did)."""
    return next((k + 1 for k, best in enumerate(curve.best) if best >= score - 1e-12), None)


def novelty_report(without: list[Curve], with_filter: list[Curve]) -> None:
    """Evaluations the filter saved: its rejections (children never evaluated), and the evaluations
    each run needed to reach the unfiltered run's final best score."""
    print("novelty filter (behaviour of a one-task dry run, threshold 0.998) on evolution, same seeds:")
    for seed, (off, on) in enumerate(zip(without, with_filter, strict=True)):
        skipped = on.rejections.get("not_novel", 0) + on.rejections.get("dry_run", 0)
        reached = first_reaching(on, off.best[-1])
        print(f"  seed {seed}: best {off.best[-1]:.4f} without, {on.best[-1]:.4f} with; children rejected before "
              f"evaluation {skipped}; evaluations to reach the unfiltered final best: {first_reaching(off, off.best[-1])} "
              f"without, {reached if reached is not None else 'not reached'} with; mutator calls {off.mutator_calls} "
              f"without, {on.mutator_calls} with")
    mean, low, high = mean_ci([on.best[-1] - off.best[-1] for off, on in zip(without, with_filter, strict=True)])
    print(f"  final best with − without the filter: {mean:+.4f} [95% CI {low:+.4f}, {high:+.4f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=24, help="evaluation budget per run, seeds included")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--personas", type=int, default=3)
    parser.add_argument("--svg", type=Path, default=None, help="write the anytime curves to this SVG file")
    parser.add_argument("--no-novelty", action="store_true", help="skip the novelty-filter comparison")
    args = parser.parse_args()

    curves: dict[str, list[Curve]] = {s: [] for s in STRATEGIES}
    novel: list[Curve] = []
    executor = CachedExecutor()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        runs_dir = Path(tmp)
        base = overrides(runs_dir, args.evaluations, args.tasks, args.personas)
        reference_config = load_config(QUICKSTART, [*base, "name=reference"])
        gateway = make_gateway(reference_config)
        try:
            reference = ensure_reference(reference_config, gateway, Console(file=io.StringIO(), quiet=True))
        finally:
            gateway.close()
        for seed in range(args.seeds):
            for strategy in STRATEGIES:
                config = load_config(QUICKSTART, [*base, f"name={strategy}-{seed}", f"seed={seed}",
                                                  f"search.strategy={strategy}"])
                curve = run_once(config, reference, executor)
                curves[strategy].append(curve)
                print(f"seed {seed} {strategy:>10}: best {curve.best[-1]:.4f}, mutator calls {curve.mutator_calls}, "
                      f"rejections {curve.rejections}", flush=True)
            if not args.no_novelty:
                config = load_config(QUICKSTART, [*base, f"name=novelty-{seed}", f"seed={seed}", *NOVELTY])
                novel.append(run_once(config, reference, executor))
                print(f"seed {seed} evolution+novelty: best {novel[-1].best[-1]:.4f}, rejections {novel[-1].rejections}",
                      flush=True)
    executor.shutdown()
    print(f"{len(STRATEGIES)} strategies × {args.seeds} seeds × {args.evaluations} evaluations "
          f"({args.tasks} tasks × {args.personas} personas each), {executor.computed} distinct evaluations computed, "
          f"{time.perf_counter() - started:.0f} s (machine shared with other work)")
    checkpoints = sorted({k for k in (2, 4, 8, 12, 16, 24, 32, 48, 64) if k <= args.evaluations} | {args.evaluations})
    print(anytime_table(curves, checkpoints))
    for strategy, runs in curves.items():
        calls = [c.mutator_calls for c in runs]
        print(f"{strategy}: mutator calls per run {statistics.fmean(calls):.1f} (min {min(calls)}, max {max(calls)})")
    if novel:
        novelty_report(curves["evolution"], novel)
    if args.svg is not None:
        draw_svg(curves, args.svg)
        print(f"anytime curves drawn in {args.svg}")
    differences = [e.best[-1] - b.best[-1] for e, b in zip(curves["evolution"], curves["best_of_n"], strict=True)]
    mean, low, _ = mean_ci(differences)
    print(f"evolution − best-of-N final best score, paired by seed: {[round(d, 4) for d in differences]}")
    print(f"RESULT evolution_minus_best_of_n_low {low:.4f}")
    print(f"RESULT evolution_minus_best_of_n {mean:.4f}")


if __name__ == "__main__":
    main()
