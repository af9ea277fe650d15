"""Calibrated P(human): Platt scaling fitted on out-of-fold scores, and its expected calibration error.

Why: a classifier's raw score ranks dialogues but its value is not a probability (a random forest
trained on easy negatives says 0.9 for anything vaguely short). Platt scaling (a logistic regression
on the logit of the out-of-fold score, with the same sample weights as the fit) maps it so that 0.5
means "cannot tell" under the balanced prior the discriminators are trained with. Platt rather than
isotonic: two parameters stay stable on a few hundred negatives, and the mapping stays monotone and
smooth. ECE is reported cross-fitted (each fold calibrated by the others) so it is not flattered.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict
from sklearn.linear_model import LogisticRegression

_EPS = 1e-4
ECE_BINS = 10


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


class PlattCalibration(BaseModel):
    """P = sigmoid(slope * logit(score) + intercept)."""

    model_config = ConfigDict(frozen=True)
    slope: float = 1.0
    intercept: float = 0.0

    @classmethod
    def fit(cls, scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> PlattCalibration:
        model = LogisticRegression(C=1e4, max_iter=1000)
        model.fit(_logit(scores)[:, None], labels, sample_weight=weights)
        return cls(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * _logit(scores) + self.intercept)))


def expected_calibration_error(p: np.ndarray, labels: np.ndarray, weights: np.ndarray, bins: int = ECE_BINS) -> float:
    """Weighted ECE over equal-width bins: sum over bins of |mean P - share of humans| x bin weight."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = weights.sum()
    error = 0.0
    for b in np.unique(index):
        mask = index == b
        w = weights[mask]
        error += abs(np.average(p[mask], weights=w) - np.average(labels[mask], weights=w)) * w.sum() / total
    return float(error)


def cross_fitted(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    """Each fold's scores calibrated by a Platt fit on the other folds (for an honest ECE)."""
    out = np.zeros_like(scores)
    for test in folds:
        train = np.setdiff1d(np.arange(len(scores)), test)
        out[test] = PlattCalibration.fit(scores[train], labels[train], weights[train]).apply(scores[test])
    return out
