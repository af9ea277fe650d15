"""Aggregate-first Sørensen–Dice alignment of D1–D4 against the human means (method.md §2.2).

Features are averaged over all simulated episodes first, then compared per feature with
`2 min(|m|, |h|) / (|m| + |h|)` (1 when both are 0): averaging per-episode Dice instead would be
biased downward by the many zero rates of single episodes.
"""

from __future__ import annotations

import numpy as np

from evopersona.fitness.fingerprint import FEATURE_NAMES, GROUPS


def dice(model_value: float, human_value: float) -> float:
    m, h = abs(model_value), abs(human_value)
    return 1.0 if m + h == 0 else 2.0 * min(m, h) / (m + h)


def aggregate_dice(sim_fp: np.ndarray, human_fp: np.ndarray) -> dict[str, float]:
    """Dice per dimension D1..D4 and `overall` (their mean); `human_fp` may be a (19,) mean vector."""
    sim_mean = np.asarray(sim_fp, dtype=float).reshape(-1, len(FEATURE_NAMES)).mean(axis=0)
    human_mean = np.asarray(human_fp, dtype=float).reshape(-1, len(FEATURE_NAMES)).mean(axis=0)
    per_feature = {name: dice(s, h) for name, s, h in zip(FEATURE_NAMES, sim_mean, human_mean, strict=True)}
    out = {group: float(np.mean([per_feature[f] for f in names])) for group, names in GROUPS.items()}
    out["overall"] = float(np.mean([out[g] for g in GROUPS]))
    return out
