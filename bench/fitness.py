"""Cost of the fitness pieces at 1k and 10k dialogues, and the fingerprint against the paper's code.

Data: the bundled human user sides cycled to the size wanted, half of them, interleaved with the
cooperative simulator stand-in (a mix of short human and long simulated turns). Measured:
fingerprinting, P(human) scoring by each discriminator (fitted once on human train vs
cooperative), coverage of populations of 10 against the human train cloud, and, when `ppol` is
installed (`pip install --no-deps ppol`), the paper's `BehavioralFingerprintExtractor` on the
same 10k dialogues with the max abs difference of the two feature matrices.

    python bench/fitness.py            # about a minute
Ends with `RESULT fingerprint_speedup_vs_ppol <x>` (or `RESULT fingerprint_10k_seconds <s>`).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from evopersona.config import FitnessConfig
from evopersona.fitness.cooperative import cooperative_dialogues
from evopersona.fitness.coverage import HumanCloud
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.reference import build_reference
from evopersona.humans import load_human_corpus, split_humans

SIZES = (1_000, 10_000)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def dialogues_of_size(humans: list[list[str]], n: int) -> list[list[str]]:
    simulated = cooperative_dialogues(n // 2, seed=1)
    human = [humans[i % len(humans)] for i in range(n - len(simulated))]
    return [d for pair in zip(human, simulated, strict=False) for d in pair] + human[len(simulated):]


def ppol_fingerprints(dialogues: list[list[str]]) -> np.ndarray:
    from ppol.fingerprinting import BehavioralFingerprintExtractor

    extractor = BehavioralFingerprintExtractor()
    return np.array([
        extractor.compute_fingerprint([{"role": "user", "content": t} for t in d]).to_vector(FEATURE_NAMES)
        for d in dialogues
    ])


def main() -> None:
    train, _ = split_humans(load_human_corpus(), 0.2, seed=0)
    humans = [d.user_turns() for d in train]
    data = {n: dialogues_of_size(humans, n) for n in SIZES}
    turns = {n: sum(len(d) for d in data[n]) for n in SIZES}
    print(f"data: {', '.join(f'{n} dialogues / {turns[n]} user turns' for n in SIZES)}")

    fp_time = {}
    for n in SIZES:
        fp_time[n], _ = timed(lambda n=n: fingerprint_many(data[n]), repeat=3)
        print(f"fingerprint {n:>6}: {fp_time[n]:.3f} s  ({n / fp_time[n]:,.0f} dialogues/s)")
    print(f"fingerprint growth 10k/1k: {fp_time[10_000] / fp_time[1_000]:.2f}x for 10x the data")

    fit_time, reference = timed(lambda: build_reference(humans, cooperative_dialogues(len(humans), seed=0), FitnessConfig()))
    print(f"reference fit (3 discriminators, 5-fold CV each, {len(humans)} humans): {fit_time:.1f} s")
    for kind, disc in reference.discriminators.items():
        t = {n: timed(lambda n=n, d=disc: d.p_human(data[n]))[0] for n in SIZES}
        print(f"P(human) {kind:<8} 1k: {t[1_000]:.2f} s  10k: {t[10_000]:.2f} s  growth {t[10_000] / t[1_000]:.2f}x")

    cloud: HumanCloud = reference.clouds["zscore"]
    for n in SIZES:
        fp = fingerprint_many(data[n])
        pops = [fp[i : i + 10] for i in range(0, n, 10)]
        t, cov = timed(lambda pops=pops: cloud.mean_coverage(pops))
        print(f"coverage {n:>6} dialogues ({len(pops)} populations of 10 vs {len(cloud.points)} humans): {t:.2f} s  (mean {cov.mean:.3f})")

    if importlib.util.find_spec("ppol") is None:
        print("ppol not installed: no side-by-side comparison (pip install --no-deps ppol)")
        print(f"RESULT fingerprint_10k_seconds {fp_time[10_000]:.3f}")
        return
    ppol_time, theirs = timed(lambda: ppol_fingerprints(data[10_000]))
    ours = fingerprint_many(data[10_000])
    diff = np.abs(ours - theirs)
    per_feature = diff.max(axis=0)
    print(f"ppol fingerprint 10k: {ppol_time:.2f} s  vs ours {fp_time[10_000]:.3f} s")
    print(f"max abs difference vs ppol over 10k dialogues: {diff.max():.4f} "
          f"(mean {diff.mean():.5f}; dialogues differing in any feature: {(diff.max(axis=1) > 1e-9).mean():.1%})")
    for name, value in zip(FEATURE_NAMES, per_feature, strict=True):
        if value > 1e-9:
            print(f"  {name:<28} max {value:.3f}  dialogues differing {(diff[:, FEATURE_NAMES.index(name)] > 1e-9).mean():.1%}")
    print(f"RESULT fingerprint_speedup_vs_ppol {ppol_time / fp_time[10_000]:.1f}")


if __name__ == "__main__":
    main()
