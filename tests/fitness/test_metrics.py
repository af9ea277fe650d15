import math
from collections import Counter

import numpy as np
import pytest

from evopersona.fitness.coverage import (
    FeatureStats,
    HumanCloud,
    chamfer_coverage,
    mean_pairwise_distance,
)
from evopersona.fitness.dice import aggregate_dice, dice
from evopersona.fitness.fingerprint import FEATURE_NAMES
from evopersona.fitness.lexical import (
    LexicalAnchor,
    hdd,
    lexical_zscores,
    mattr,
    yules_k,
)
from evopersona.fitness.stats import mean_ci


def test_mean_ci():
    ci = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert ci.mean == 2.5 and ci.n == 4
    assert ci.low == pytest.approx(2.5 - 3.182446305 * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert mean_ci([0.3]).low == 0.3 == mean_ci([0.3]).high
    assert math.isnan(mean_ci([]).mean)


def test_coverage_formula():
    rng = np.random.default_rng(0)
    human = rng.normal(size=(200, 19))
    assert chamfer_coverage(human, human) == pytest.approx(1.0)
    assert chamfer_coverage(human + 100.0, human) == 0.0
    p = human[:10]
    cloud = HumanCloud(human, "raw")
    d = np.linalg.norm(human[:, None, :] - p[None, :, :], axis=2)
    err = d.min(axis=1).mean() + d.min(axis=0).mean()
    pairs = np.linalg.norm(human[:, None] - human[None], axis=2)[np.triu_indices(200, 1)].mean()
    assert cloud.d_ref == pytest.approx(pairs)
    assert cloud.coverage(p) == pytest.approx(max(0.0, 1 - min(1.0, err / (2 * pairs))))
    assert chamfer_coverage(np.zeros((0, 19)), human) == 0.0


def test_coverage_zscore_is_scale_free():
    rng = np.random.default_rng(1)
    human = rng.normal(size=(100, 19))
    persona = rng.normal(size=(8, 19))
    scale = np.r_[1000.0, np.ones(18)]
    z = chamfer_coverage(persona, human)
    assert chamfer_coverage(persona * scale, human * scale) == pytest.approx(z)
    assert chamfer_coverage(persona * scale, human * scale, space="raw") != pytest.approx(z)
    stats = FeatureStats.of(human)
    assert chamfer_coverage(persona, human, human_stats=stats) == pytest.approx(z)


def test_d_ref_subsample_is_deterministic():
    points = np.random.default_rng(2).normal(size=(2500, 3))
    assert mean_pairwise_distance(points) == mean_pairwise_distance(points)
    assert mean_pairwise_distance(points) == pytest.approx(mean_pairwise_distance(points, 10**6), rel=0.02)


def test_aggregate_dice():
    assert dice(0.0, 0.0) == 1.0 and dice(1.0, 3.0) == 0.5
    human = np.ones((5, 19))
    out = aggregate_dice(np.ones((3, 19)), human)
    assert out == {"D1": 1.0, "D2": 1.0, "D3": 1.0, "D4": 1.0, "overall": 1.0}
    sim = np.ones((2, 19))
    sim[:, FEATURE_NAMES.index("pushback_rate")] = [0.0, 0.0]
    out = aggregate_dice(sim, human.mean(axis=0))
    assert out["D3"] == pytest.approx(4 / 5) and out["overall"] == pytest.approx((3 + 0.8) / 4)


def _naive_mattr(tokens, w=50):
    if len(tokens) <= w:
        return len(set(tokens)) / len(tokens)
    return float(np.mean([len(set(tokens[i:i + w])) / w for i in range(len(tokens) - w + 1)]))


def test_lexical_metrics_against_direct_formulas():
    rng = np.random.default_rng(3)
    for n in (5, 50, 51, 173):
        ids = rng.integers(0, 25, n)
        assert mattr(ids) == pytest.approx(_naive_mattr(list(ids)))
        counts = Counter(ids.tolist())
        assert yules_k(ids) == pytest.approx(1e4 * (sum(f * f for f in counts.values()) - n) / n**2)
        s = min(42, n)
        exact = sum(1 - math.comb(n - f, s) / math.comb(n, s) for f in counts.values()) / s
        assert hdd(ids) == pytest.approx(exact)


def test_lexical_zscores_are_human_anchored(human_split):
    train, test = human_split
    anchor = LexicalAnchor.of(train)
    z_test = anchor.zscores(test)
    assert all(abs(ci.mean) < 0.3 for ci in z_test.values())
    repetitive = [["thank you thank you thank you thank you"] * 8] * 20
    z_rep = lexical_zscores(repetitive, anchor)
    assert z_rep["mattr"].mean < -1 and z_rep["yules_k"].mean > 1


def test_mean_ci_respects_the_metric_range():
    free = mean_ci([1.0, 1.0, 0.0])
    bounded = mean_ci([1.0, 1.0, 0.0], bounds=(0.0, 1.0))
    assert free.low < 0.0 and free.high > 1.0
    assert (bounded.low, bounded.high) == (0.0, 1.0)
    assert bounded.mean == free.mean
