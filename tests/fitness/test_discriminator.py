import json

import numpy as np
import pytest

from evopersona.errors import InputError
from evopersona.fitness.cooperative import cooperative_dialogues
from evopersona.fitness.discriminator import (
    CombinedDiscriminator,
    Discriminator,
    ForestDiscriminator,
    TextDiscriminator,
)
from evopersona.fitness.fingerprint import fingerprint_many


def test_forest_fit_report_save_load(tmp_path, human_split):
    train, test = human_split
    forest = ForestDiscriminator()
    report = forest.fit(train[:300], cooperative_dialogues(300, seed=0))
    assert report.kind == "forest" and len(report.cv_folds) == 5 and report.cv_roc_auc > 0.95
    assert report.n_human == 300 and set(report.top_features) == set(forest.report.top_features)
    params = forest.model[-1].get_params()
    assert (params["n_estimators"], params["max_depth"], params["class_weight"], params["random_state"]) == (200, 12, "balanced", 42)
    path = tmp_path / "forest.joblib"
    forest.save(path)
    sidecar = json.loads((tmp_path / "forest.joblib.json").read_text())
    assert sidecar["kind"] == "forest" and sidecar["report"]["cv_roc_auc"] == report.cv_roc_auc
    loaded = Discriminator.load(path)
    assert isinstance(loaded, ForestDiscriminator)
    np.testing.assert_allclose(loaded.p_human(test[:50]), forest.p_human(test[:50]))
    np.testing.assert_allclose(loaded.p_human_fp(fingerprint_many(test[:50])), forest.p_human(test[:50]))
    with pytest.raises(InputError):
        TextDiscriminator.load(path)


def test_unfitted_and_too_small():
    with pytest.raises(InputError):
        TextDiscriminator().p_human([["hi"]])
    with pytest.raises(InputError):
        ForestDiscriminator().fit([["hi"]] * 3, [["hello there"]] * 3)


def test_text_discriminator_is_not_fooled_by_length(reference, human_split, assistant_style):
    """Assistant wording with exactly the human turn lengths: the forest takes it for human, the
    text discriminator does not."""
    _, test = human_split
    mimic = assistant_style(test, seed=0)
    assert [[len(t.split()) for t in d] for d in mimic] == [[max(1, len(t.split())) for t in d] for d in test]
    forest = reference.discriminator("forest").p_human(mimic).mean()
    text = reference.discriminator("text").p_human(mimic).mean()
    assert text < 0.5
    assert forest > text + 0.3
    assert reference.discriminator("text").p_human(test).mean() > 0.9


def test_reference_discriminators_separate_humans_from_cooperative(reference, human_split):
    _, test = human_split
    simulated = cooperative_dialogues(200, seed=11)
    for kind in ("forest", "text", "combined"):
        disc = reference.discriminator(kind)
        assert isinstance(disc, (ForestDiscriminator, TextDiscriminator, CombinedDiscriminator))
        assert reference.meta.reports[kind].cv_roc_auc > 0.95
        assert disc.p_human(test).mean() > 0.8
        assert disc.p_human(simulated).mean() < 0.2
