"""Two-sided Chamfer coverage of the human fingerprint cloud by a persona population (method.md §1.8).

`err = mean_h min_p ||h - p|| + mean_p min_h ||p - h||`, `cov = max(0, 1 - min(1, err / (2 d_ref)))`
with `d_ref` the mean pairwise distance within the human cloud H. By default both clouds are
z-scored with the human train mean and std, because in raw space opening_length and words_per_turn
dominate the distance (the paper's τ² runs use raw space; `space="raw"` reproduces that).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy.spatial.distance import cdist, pdist

from evopersona.fitness.stats import MeanCI, UNIT, mean_ci

Space = Literal["zscore", "raw"]
D_REF_MAX_POINTS = 2000
_D_REF_SEED = 0


class FeatureStats(BaseModel):
    """Per-feature mean and std of the human train fingerprints (std 0 is stored as 1)."""

    model_config = ConfigDict(frozen=True)
    mean: list[float]
    std: list[float]

    @classmethod
    def of(cls, human_fp: np.ndarray) -> FeatureStats:
        std = human_fp.std(axis=0)
        return cls(mean=human_fp.mean(axis=0).tolist(), std=np.where(std > 0, std, 1.0).tolist())

    def transform(self, fp: np.ndarray) -> np.ndarray:
        return (fp - np.asarray(self.mean)) / np.asarray(self.std)


def mean_pairwise_distance(points: np.ndarray, max_points: int = D_REF_MAX_POINTS) -> float:
    """Mean pairwise L2 distance; above `max_points` on a deterministic subsample (it is O(n²))."""
    if len(points) > max_points:
        keep = np.random.default_rng(_D_REF_SEED).choice(len(points), size=max_points, replace=False)
        points = points[np.sort(keep)]
    return float(pdist(points).mean()) if len(points) > 1 else 0.0


class HumanCloud:
    """The human reference cloud H in the chosen space, with d_ref computed once."""

    def __init__(self, human_fp: np.ndarray, space: Space = "zscore", stats: FeatureStats | None = None) -> None:
        self.space = space
        self.stats = stats or FeatureStats.of(human_fp)
        self.points = self._to_space(human_fp)
        self.d_ref = mean_pairwise_distance(self.points)

    def _to_space(self, fp: np.ndarray) -> np.ndarray:
        return self.stats.transform(fp) if self.space == "zscore" else np.asarray(fp, dtype=float)

    def coverage(self, persona_fp: np.ndarray) -> float:
        """Coverage of H by one population of persona fingerprints, in [0, 1]."""
        if len(persona_fp) == 0 or self.d_ref <= 0:
            return 0.0
        dist = cdist(self.points, self._to_space(persona_fp))
        err = float(dist.min(axis=1).mean() + dist.min(axis=0).mean())
        return max(0.0, 1.0 - min(1.0, err / (2.0 * self.d_ref)))

    def mean_coverage(self, populations: list[np.ndarray]) -> MeanCI:
        """Coverage averaged over populations (one per task), with a CI over tasks."""
        return mean_ci([self.coverage(p) for p in populations], bounds=UNIT)


def chamfer_coverage(
    persona_fp: np.ndarray, human_fp: np.ndarray, *, space: Space = "zscore", human_stats: FeatureStats | None = None
) -> float:
    """Coverage of the human cloud by one population (see the module docstring)."""
    return HumanCloud(human_fp, space, human_stats).coverage(persona_fp)
