"""Three kinds of negatives, their weights, calibration and generalisation to a left-out user model."""

import json

import numpy as np

from evopersona.config import FitnessConfig, RunConfig
from evopersona.evaluation.reference import BASELINE_FILE
from evopersona.fitness.calibration import (
    PlattCalibration,
    cross_fitted,
    expected_calibration_error,
)
from evopersona.fitness.negatives import (
    balanced_weights,
    llm_sim_corpus,
    three_kinds,
    user_model,
)
from evopersona.fitness.reference import FitnessReference, build_reference
from evopersona.tasks import load_tasks


def test_balanced_weights_give_each_negative_kind_an_equal_share():
    groups = ["human"] * 100 + ["baseline"] * 10 + ["llm_sim"] * 50 + ["cooperative"] * 300
    w = balanced_weights(groups)
    labels = np.array(groups)
    assert abs(w.mean() - 1) < 1e-9
    share = {g: w[labels == g].sum() / w.sum() for g in set(groups)}
    assert abs(share["human"] - 0.5) < 1e-9
    assert all(abs(share[k] - 1 / 6) < 1e-9 for k in ("baseline", "llm_sim", "cooperative"))


def test_three_kinds_records_each_kind():
    sims = llm_sim_corpus()
    assert len(sims) == 212 and {user_model(d) for d in sims} == {"gpt-4.1", "gpt-4o"}
    negatives = three_kinds([["hello"], ["ok", "thanks"]], n_cooperative=7)
    summary = {n.kind: n for n in negatives.summary()}
    assert [n.kind for n in negatives.summary()] == ["baseline", "llm_sim", "cooperative"]
    assert (summary["baseline"].n, summary["llm_sim"].n, summary["cooperative"].n) == (2, 212, 7)
    assert all(abs(n.weight_share - 1 / 3) < 1e-3 for n in summary.values())
    assert len(negatives.dialogues) == len(negatives.kinds) == 221
    assert [n.kind for n in three_kinds(None, n_cooperative=3).summary()] == ["llm_sim", "cooperative"]


def test_platt_calibration_and_ece():
    rng = np.random.default_rng(0)
    truth = rng.uniform(0, 1, 4000)
    labels = (rng.uniform(0, 1, 4000) < truth).astype(int)
    weights = np.ones(4000)
    squashed = truth**3  # ranks right, probabilities wrong
    assert expected_calibration_error(truth, labels, weights) < 0.03
    assert expected_calibration_error(squashed, labels, weights) > 0.15
    folds = np.array_split(rng.permutation(4000), 5)
    calibrated = cross_fitted(squashed, labels, weights, folds)
    assert expected_calibration_error(calibrated, labels, weights) < 0.05
    platt = PlattCalibration.fit(squashed, labels, weights)
    assert np.all(np.diff(platt.apply(np.linspace(0.01, 0.99, 50))) > 0)


def test_default_reference_has_three_kinds_of_equal_weight(reference_dir, reference, human_split):
    """The reference `score --dialogues` uses without `--reference`: the default offline run's
    no-persona baseline episodes (generated in the sandbox), the LLM-simulator dialogues and the
    cooperative stand-in, each a third of the negative weight; calibrated, and held-out humans human."""
    _, test = human_split
    loaded = FitnessReference.load(reference_dir)
    summary = loaded.meta.negatives
    assert [n.kind for n in summary] == ["baseline", "llm_sim", "cooperative"]
    assert len({n.weight_share for n in summary}) == 1 and abs(sum(n.weight_share for n in summary) - 1) < 1e-3
    counts = {n.kind: n.n for n in summary}
    assert counts["llm_sim"] == 212 and counts["cooperative"] == 300
    assert counts["baseline"] == len(load_tasks("retail", "train")) * RunConfig().fitness.baseline_personas_per_task
    assert "baseline.py" in summary[0].source and "offline/user" in summary[0].source
    baseline = [json.loads(line) for line in (reference_dir / BASELINE_FILE).read_text().splitlines()]
    assert len(baseline) == counts["baseline"]
    assert "llm_sim 212 dialogues" in loaded.meta.negatives_line() and "baseline" in loaded.meta.negatives_line()
    for kind, report in reference.meta.reports.items():
        assert report.negatives == counts
        assert report.ece < 0.05 and report.cv_roc_auc > 0.95
        assert reference.discriminator(kind).p_human(test).mean() >= 0.9


def test_forest_generalises_to_a_left_out_user_model(human_split):
    """Fitted without any gpt-4o dialogue, the paper's forest still calls gpt-4o users simulated."""
    train, test = human_split
    sims = llm_sim_corpus()
    seen = [d for d in sims if user_model(d) != "gpt-4o"]
    unseen = [d.user_turns() for d in sims if user_model(d) == "gpt-4o"]
    reference = build_reference(train, three_kinds(None, llm_sim=seen), FitnessConfig(), kinds=("forest",))
    forest = reference.discriminator("forest")
    assert forest.p_human(unseen).mean() <= 0.3
    assert forest.p_human(test).mean() >= 0.9
