"""Three kinds of negatives, their weights, calibration and generalisation to a left-out user model."""

import numpy as np

from evopersona.config import FitnessConfig
from evopersona.fitness.calibration import PlattCalibration, cross_fitted, expected_calibration_error
from evopersona.fitness.negatives import balanced_weights, llm_sim_corpus, three_kinds, user_model
from evopersona.fitness.reference import FitnessReference, build_reference


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


def test_reference_records_negatives_and_calibration(reference_dir, reference, human_split):
    _, test = human_split
    loaded = FitnessReference.load(reference_dir)
    assert [n.kind for n in loaded.meta.negatives] == ["llm_sim", "cooperative"]
    assert "llm_sim 212 dialogues" in loaded.meta.negatives_line()
    for kind, report in reference.meta.reports.items():
        assert report.negatives == {"cooperative": 300, "llm_sim": 212}
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
