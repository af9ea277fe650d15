"""Human-anchored lexical diversity z-scores: MATTR (w=50), Yule's K, HD-D (s=42) (method.md §3.2).

Each metric is computed on the concatenation of a dialogue's user turns, then z-scored against the
mean and sample std of the same metric over human dialogues: z ≈ 0 is human-like, the sign gives the
direction (higher MATTR/HD-D = more diverse, higher Yule's K = more repetitive). Tokens come from a
simple regex (words and single punctuation marks), a stand-in for MirrorBench's BPE tokens.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy.special import gammaln

from evopersona.fitness.stats import MeanCI, mean_ci

METRICS = ("mattr", "yules_k", "hdd")
MATTR_WINDOW = 50
HDD_SAMPLE = 42
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _token_ids(turns: list[str]) -> np.ndarray:
    vocab: dict[str, int] = {}
    return np.fromiter((vocab.setdefault(t, len(vocab)) for t in _TOKEN.findall(" ".join(turns).lower())), np.int64)


def mattr(ids: np.ndarray, window: int = MATTR_WINDOW) -> float:
    """Mean type-token ratio over all length-`window` windows (plain TTR for shorter texts).

    Vectorised: a token counts as new in window [i, i+w) iff its previous occurrence is before i, so
    the sum over windows of distinct counts is a sum over tokens of how many windows see it as new."""
    n = ids.size
    if n == 0:
        return 0.0
    if n <= window:
        return float(np.unique(ids).size / n)
    order = np.lexsort((np.arange(n), ids))
    prev = np.full(n, -1, dtype=np.int64)
    same = ids[order][1:] == ids[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    j = np.arange(n)
    last_window = n - window
    lo = np.maximum(prev + 1, j - window + 1).clip(min=0)
    hi = np.minimum(j, last_window)
    return float(np.clip(hi - lo + 1, 0, None).sum() / (window * (last_window + 1)))


def yules_k(ids: np.ndarray) -> float:
    n = ids.size
    if n == 0:
        return 0.0
    freq = np.bincount(ids).astype(float)
    return float(1e4 * ((freq**2).sum() - n) / n**2)


def _log_comb(a: np.ndarray | float, b: float) -> np.ndarray:
    return gammaln(np.asarray(a) + 1) - gammaln(b + 1) - gammaln(np.asarray(a) - b + 1)


def hdd(ids: np.ndarray, sample: int = HDD_SAMPLE) -> float:
    """Expected share of types seen in a random draw of `sample` tokens (exact hypergeometric)."""
    n = ids.size
    if n == 0:
        return 0.0
    s = min(sample, n)
    freq = np.bincount(ids)
    freq = freq[freq > 0].astype(float)
    rest = n - freq
    p_absent = np.zeros_like(freq)
    ok = rest >= s
    p_absent[ok] = np.exp(_log_comb(rest[ok], s) - _log_comb(float(n), s))
    return float((1.0 - p_absent).sum() / s)


def lexical_metrics(dialogues: list[list[str]]) -> np.ndarray:
    """Array (n, 3) of MATTR, Yule's K, HD-D per dialogue (user turns concatenated)."""
    rows = []
    for turns in dialogues:
        ids = _token_ids(turns)
        rows.append((mattr(ids), yules_k(ids), hdd(ids)))
    return np.asarray(rows, dtype=float).reshape(-1, len(METRICS))


class LexicalAnchor(BaseModel):
    """Human mean and sample std of each metric (std 0 means z is reported as 0)."""

    model_config = ConfigDict(frozen=True)
    mean: list[float]
    std: list[float]

    @classmethod
    def of(cls, human_dialogues: list[list[str]]) -> LexicalAnchor:
        values = lexical_metrics(human_dialogues)
        std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(len(METRICS))
        return cls(mean=values.mean(axis=0).tolist(), std=std.tolist())

    def zscores(self, dialogues: list[list[str]]) -> dict[str, MeanCI]:
        values = lexical_metrics(dialogues)
        mean, std = np.asarray(self.mean), np.asarray(self.std)
        z = np.divide(values - mean, std, out=np.zeros_like(values), where=std > 0)
        return {name: mean_ci(z[:, i]) for i, name in enumerate(METRICS)}


def lexical_zscores(sim_dialogues: list[list[str]], human_dialogues: list[list[str]] | LexicalAnchor) -> dict[str, MeanCI]:
    """Mean human-anchored z-score (with CI) of each lexical metric over the simulated dialogues."""
    anchor = human_dialogues if isinstance(human_dialogues, LexicalAnchor) else LexicalAnchor.of(human_dialogues)
    return anchor.zscores(sim_dialogues)
