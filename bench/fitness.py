"""Cost of the fitness pieces at 1k and 10k dialogues, the fingerprint against the paper's code, and
how the discriminators generalise to user models, domains and human corpora they were not fitted on.

Data: every bundled human dialogue (all corpora) and LLM-simulator dialogue, then seeded variants of
them up to the size wanted, with no user-turn text occurring twice in the whole set (see
`distinct_dialogues`: a cache of per-turn work cannot hit). Measured: fingerprinting, P(human)
scoring by each discriminator (fitted once on human train vs the bundled negatives), coverage of
populations of 10 against the human train cloud, and, when `ppol` is installed
(`pip install --no-deps ppol`), the paper's `BehavioralFingerprintExtractor` on the same 10k
dialogues, with the mean and max abs difference of the two feature matrices overall and per
feature. The speed-up counts only when the overall mean abs difference is at most 0.001 (the two
extractors compute the same features); otherwise the script exits 1.

The reference is the default one (`evaluation/reference.py` `default_reference`, what `score
--dialogues` uses without `--reference`): the default offline run's no-persona baseline episodes
(generated in the sandbox, timed with the fit), the bundled LLM-simulator dialogues and the
cooperative stand-in.

Generalisation (skip with `--no-generalisation`): for each user model (gpt-4.1, gpt-4o) and each
domain (airline, retail, telecom) of the bundled real LLM-simulator dialogues, a reference is fitted
without it (humans + the default baseline episodes + remaining LLM-simulator dialogues + cooperative
stand-in) and scored on it: ROC-AUC of held-out test humans vs the left-out simulator dialogues, mean
calibrated P(human) of each, and of each's first user turn alone (very short dialogues). For each
human corpus (star, multiwoz21, sgd_services), a reference is fitted without it and scored on its
dialogues (mean P(human); ROC-AUC against an unseen cooperative sample, seed 1, since no simulator
dialogue is left out in those folds).

The offline stand-in (`--offline-standin`, instead of the rest): persona'd users of the offline
provider (`programs/axes_seed.py`, 20 retail train tasks x 5 personas, seed 7, in the sandbox) scored
by the default reference, and the CV ROC-AUC of discriminators fitted on human train vs those users,
with the mean giveaway features of humans, those users and the real LLM simulators side by side: does
the reference call them human because they are, or because it never saw anything like them?

    python bench/fitness.py            # several minutes on 2 loaded cores (8 reference fits)
    python bench/fitness.py --offline-standin
Ends with `RESULT fingerprint_speedup_vs_ppol <x>` (or `RESULT fingerprint_10k_seconds <s>`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from evopersona.config import FitnessConfig, RunConfig
from evopersona.evaluation.reference import (
    baseline_transcripts,
    baseline_user_sides,
    default_reference,
)
from evopersona.fitness.cooperative import cooperative_dialogues
from evopersona.fitness.coverage import HumanCloud
from evopersona.fitness.discriminator import DISCRIMINATORS
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.giveaways import GIVEAWAY_NAMES, giveaways_many
from evopersona.fitness.negatives import llm_sim_corpus, three_kinds, user_model
from evopersona.fitness.reference import FitnessReference, build_reference
from evopersona.humans import HumanDialogue, load_human_corpus, split_humans
from evopersona.llm.factory import make_gateway
from evopersona.tasks import load_tasks

SIZES = (1_000, 10_000)
SAME_FEATURES_MEAN_DIFF = 0.001


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def distinct_dialogues(n: int, seed: int = 0) -> list[list[str]]:
    """`n` dialogues in which no user-turn text occurs twice: every bundled human and LLM-simulator
    dialogue, then seeded variants of them in turn. A turn whose text was already used gets one
    word replaced by a word drawn from the corpus vocabulary until its text is new, so that no
    per-turn cache can hit across dialogues and the timing measures the text, not the repeats."""
    base = [d.user_turns() for d in load_human_corpus() + llm_sim_corpus()]
    vocabulary = sorted({w for d in base for t in d for w in t.split()})
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[list[str]] = []
    for i in range(n):
        turns = []
        for text in base[i % len(base)]:
            while text in seen:
                words = text.split()
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
                text = " ".join(words)
            seen.add(text)
            turns.append(text)
        out.append(turns)
    return out


def ppol_fingerprints(dialogues: list[list[str]]) -> np.ndarray:
    from ppol.fingerprinting import BehavioralFingerprintExtractor

    extractor = BehavioralFingerprintExtractor()
    return np.array([
        extractor.compute_fingerprint([{"role": "user", "content": t} for t in d]).to_vector(FEATURE_NAMES)
        for d in dialogues
    ])


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(len(positive)), np.zeros(len(negative))], np.r_[positive, negative]))


def _row(part: str, kind: str, auc: float, p_humans: np.ndarray, p_out: np.ndarray, n_out: int,
         p_first: tuple[float, float]) -> None:
    print(f"| {part:<22} | {kind:<8} | {auc:.3f} | {p_humans.mean():.3f} | {p_out.mean():.3f} | "
          f"{p_first[0]:.3f} | {p_first[1]:.3f} | {n_out:>4} |", flush=True)


def _first_turns(dialogues: list[list[str]]) -> list[list[str]]:
    return [d[:1] for d in dialogues]


def generalisation(train: list[HumanDialogue], test: list[HumanDialogue], baseline: list[list[str]]) -> dict[str, float]:
    """Leave-one-user-model-out, leave-one-domain-out, leave-one-human-corpus-out; returns the worst
    figures over every fold and kind (lowest held-out human P(human), highest left-out simulator one)."""
    sims = llm_sim_corpus()
    humans_test = [d.user_turns() for d in test]
    print("| left out | kind | ROC-AUC | P(human) held-out humans | P(human) left-out part "
          "| humans, 1st turn only | left-out part, 1st turn only | n left out |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = {"humans": 1.0, "simulated": 0.0}
    folds = [(f"user model {m}", lambda d, m=m: user_model(d) == m) for m in sorted({user_model(d) for d in sims})]
    folds += [(f"domain {x}", lambda d, x=x: d.domain == x) for x in sorted({d.domain for d in sims})]
    for part, left_out in folds:
        kept = [d for d in sims if not left_out(d)]
        out = [d.user_turns() for d in sims if left_out(d)]
        reference = build_reference([d.user_turns() for d in train], three_kinds(baseline, llm_sim=kept), FitnessConfig())
        for kind, disc in reference.discriminators.items():
            p_h, p_o = disc.p_human(humans_test), disc.p_human(out)
            worst = {"humans": min(worst["humans"], p_h.mean()), "simulated": max(worst["simulated"], p_o.mean())}
            first = (disc.p_human(_first_turns(humans_test)).mean(), disc.p_human(_first_turns(out)).mean())
            _row(part, kind, _auc(p_h, p_o), p_h, p_o, len(out), first)
    unseen_cooperative = cooperative_dialogues(300, seed=1)
    for source in sorted({d.source for d in train} - {"abcd"}):
        kept_humans = [d.user_turns() for d in train if d.source != source]
        out = [d.user_turns() for d in train + test if d.source == source]
        reference = build_reference(kept_humans, three_kinds(baseline), FitnessConfig())
        for kind, disc in reference.discriminators.items():
            p_h, p_c = disc.p_human(out), disc.p_human(unseen_cooperative)
            worst["humans"] = min(worst["humans"], p_h.mean())
            first = (disc.p_human(_first_turns(out)).mean(), disc.p_human(_first_turns(unseen_cooperative)).mean())
            _row(f"human corpus {source}", kind, _auc(p_h, p_c), p_h, p_c, len(out), first)
    print(f"worst over folds and kinds: held-out humans {worst['humans']:.3f} (goal >= 0.9), "
          f"left-out LLM simulators {worst['simulated']:.3f} (goal <= 0.3)")
    return worst


STANDIN_PROGRAM = "axes_seed.py"
STANDIN_TASKS = 20
STANDIN_PERSONAS = 5
# Tasks per batch of sandbox runs: with more generator runs in flight than the default thread pool
# has threads, a generator's LLM call through the sandbox bridge waited for a thread forever.
STANDIN_BATCH = 2


def offline_standin_users(folder: Path) -> list[list[str]]:
    """User sides of persona'd offline episodes, made the way a run's baseline episodes are."""
    config = RunConfig(name="bench-offline-standin", seed=7, runs_dir=str(folder), ray={"executor": "inline"},
                       episodes={"max_turns": 14},
                       fitness={"baseline_program": STANDIN_PROGRAM, "baseline_personas_per_task": STANDIN_PERSONAS})
    tasks = load_tasks(config.tasks.source, "train")[:STANDIN_TASKS]
    gateway = make_gateway(config)
    try:
        transcripts = [t for i in range(0, len(tasks), STANDIN_BATCH)
                       for t in asyncio.run(baseline_transcripts(config, gateway, tasks[i : i + STANDIN_BATCH]))]
    finally:
        gateway.close()
    return [t.user_turns() for t in transcripts if t.user_turns()]


def offline_standin(reference: FitnessReference, train: list[HumanDialogue], test: list[HumanDialogue], folder: Path) -> None:
    users = offline_standin_users(folder)
    humans_test = [d.user_turns() for d in test]
    print(f"offline stand-in: {len(users)} persona'd users ({STANDIN_PROGRAM}, {STANDIN_TASKS} retail train tasks x "
          f"{STANDIN_PERSONAS}, seed 7), e.g. {users[0]}")
    for kind, disc in reference.discriminators.items():
        p_h, p_u = disc.p_human(humans_test), disc.p_human(users)
        seen = DISCRIMINATORS[kind]().fit([d.user_turns() for d in train], users)
        print(f"{kind:<8} default reference: P(human) {p_u.mean():.3f} (held-out humans {p_h.mean():.3f}, ROC-AUC humans vs "
              f"them {_auc(p_h, p_u):.3f}); fitted on humans vs them: CV ROC-AUC {seen.cv_roc_auc:.3f}")
    means = [giveaways_many(x).mean(axis=0) for x in (humans_test, users, [d.user_turns() for d in llm_sim_corpus()])]
    print("| giveaway | held-out humans | offline persona'd | real LLM simulators |")
    print("| --- | ---: | ---: | ---: |")
    for name, *values in zip(GIVEAWAY_NAMES, *means, strict=True):
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-generalisation", action="store_true", help="skip the 8 leave-one-out reference fits")
    parser.add_argument("--offline-standin", action="store_true", help="only the offline stand-in's persona'd users")
    args = parser.parse_args()
    train, test = split_humans(load_human_corpus(), 0.2, seed=0)
    if args.offline_standin:
        with tempfile.TemporaryDirectory(prefix="bench-fitness-") as scratch:
            start = time.perf_counter()
            offline_standin(default_reference(Path(scratch) / "reference"), train, test, Path(scratch))
            print(f"RESULT offline_standin_seconds {time.perf_counter() - start:.1f}")
        return
    humans = [d.user_turns() for d in train]
    data = {n: distinct_dialogues(n) for n in SIZES}
    turns = {n: sum(len(d) for d in data[n]) for n in SIZES}
    distinct = {n: len({t for d in data[n] for t in d}) for n in SIZES}
    print(f"data: {', '.join(f'{n} dialogues / {turns[n]} user turns ({distinct[n]} distinct)' for n in SIZES)}")

    fp_time = {}
    for n in SIZES:
        fp_time[n], _ = timed(lambda n=n: fingerprint_many(data[n]), repeat=3)
        print(f"fingerprint {n:>6}: {fp_time[n]:.3f} s  ({n / fp_time[n]:,.0f} dialogues/s)")
    print(f"fingerprint growth 10k/1k: {fp_time[10_000] / fp_time[1_000]:.2f}x for 10x the data")

    scratch = tempfile.TemporaryDirectory(prefix="bench-fitness-")
    fit_time, reference = timed(lambda: default_reference(Path(scratch.name)))
    baseline = baseline_user_sides(Path(scratch.name))
    print(f"default reference fit (baseline episodes, then 3 discriminators, 5-fold CV each, {len(humans)} humans vs "
          f"{reference.meta.negatives_line()}): {fit_time:.1f} s")
    for kind, report in reference.meta.reports.items():
        print(f"{kind:<8} cv ROC-AUC {report.cv_roc_auc:.3f}  ECE {report.ece:.3f} (uncalibrated {report.ece_uncalibrated:.3f})  "
              f"held-out humans P(human) {reference.discriminator(kind).p_human([d.user_turns() for d in test]).mean():.3f}")
    for kind, disc in reference.discriminators.items():
        t = {n: timed(lambda n=n, d=disc: d.p_human(data[n]))[0] for n in SIZES}
        print(f"P(human) {kind:<8} 1k: {t[1_000]:.2f} s  10k: {t[10_000]:.2f} s  growth {t[10_000] / t[1_000]:.2f}x")

    cloud: HumanCloud = reference.clouds["zscore"]
    for n in SIZES:
        fp = fingerprint_many(data[n])
        pops = [fp[i : i + 10] for i in range(0, n, 10)]
        t, cov = timed(lambda pops=pops: cloud.mean_coverage(pops))
        print(f"coverage {n:>6} dialogues ({len(pops)} populations of 10 vs {len(cloud.points)} humans): {t:.2f} s  (mean {cov.mean:.3f})")

    if not args.no_generalisation:
        generalisation(train, test, baseline)
    scratch.cleanup()

    if importlib.util.find_spec("ppol") is None:
        print("ppol not installed: no side-by-side comparison (pip install --no-deps ppol)")
        print(f"RESULT fingerprint_10k_seconds {fp_time[10_000]:.3f}")
        return
    ppol_time, theirs = timed(lambda: ppol_fingerprints(data[10_000]))
    # ours again right after ppol's (the load may have changed meanwhile): the slower of the two counts
    after, ours = timed(lambda: fingerprint_many(data[10_000]), repeat=3)
    ours_time = max(fp_time[10_000], after)
    diff = np.abs(ours - theirs)
    print(f"ppol fingerprint 10k: {ppol_time:.2f} s  vs ours {ours_time:.3f} s "
          f"(the slower of {fp_time[10_000]:.3f} s before and {after:.3f} s after ppol's)")
    print(f"abs difference vs ppol over 10k dialogues: mean {diff.mean():.5f} (limit {SAME_FEATURES_MEAN_DIFF}), "
          f"max {diff.max():.4f}; dialogues differing in any feature: {(diff.max(axis=1) > 1e-9).mean():.1%}")
    for i, name in enumerate(FEATURE_NAMES):
        if diff[:, i].max() > 1e-9:
            print(f"  {name:<28} mean {diff[:, i].mean():.5f}  max {diff[:, i].max():.3f}  "
                  f"dialogues differing {(diff[:, i] > 1e-9).mean():.1%}")
    if diff.mean() > SAME_FEATURES_MEAN_DIFF:
        print(f"the features differ from ppol's (mean abs difference {diff.mean():.5f} > {SAME_FEATURES_MEAN_DIFF}): "
              "no speed-up is reported")
        raise SystemExit(1)
    print(f"RESULT fingerprint_speedup_vs_ppol {ppol_time / ours_time:.1f}")


if __name__ == "__main__":
    main()
