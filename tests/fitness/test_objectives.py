import numpy as np
import pytest

from evopersona.config import FitnessConfig
from evopersona.fitness.cooperative import cooperative_dialogues
from evopersona.fitness.dialogues_score import score_dialogues
from evopersona.fitness.objectives import Objectives, TaskPopulation, compute_objectives
from evopersona.fitness.preservation import PreservationVerdict
from evopersona.fitness.reference import FitnessReference
from evopersona.tasks import load_tasks

TASKS = load_tasks("retail", "train")[:3]


def _populations(dialogues, policies):
    return [TaskPopulation(task=t, policies=policies, dialogues=dialogues[i * 10:(i + 1) * 10]) for i, t in enumerate(TASKS)]


def test_reference_round_trip(reference_dir, reference, human_split):
    loaded = FitnessReference.load(reference_dir)
    np.testing.assert_array_equal(loaded.human_fp, reference.human_fp)
    assert loaded.meta == reference.meta and sorted(loaded.discriminators) == ["combined", "forest", "text"]
    sample = human_split[1][:20]
    for kind in loaded.discriminators:
        np.testing.assert_allclose(loaded.discriminator(kind).p_human(sample), reference.discriminator(kind).p_human(sample))


def test_objectives_humans_vs_cooperative(reference, human_split):
    config = FitnessConfig()
    human = compute_objectives(_populations(human_split[1], ["Be terse."] * 10), reference, config)
    simulated = compute_objectives(_populations(cooperative_dialogues(30, seed=5), [""] * 10), reference, config)
    assert isinstance(human, Objectives)
    assert human.human_likeness > 0.9 and simulated.human_likeness < 0.1
    assert human.coverage > simulated.coverage + 0.3
    assert human.score == pytest.approx(0.5 * human.human_likeness + 0.5 * human.coverage)
    assert human.task_preservation == 1.0 and human.feasible
    m = human.metrics
    assert set(m["p_human"]) == {"forest", "text", "combined"} and m["p_human"]["forest"]["n"] == 30
    assert set(m["coverage"]) == {"zscore", "raw"} and set(m["dice"]) == {"D1", "D2", "D3", "D4", "overall"}
    assert set(m["lexical_z"]) == {"mattr", "yules_k", "hdd"} and len(m["per_task"]) == 3
    assert m["dice"]["overall"] > simulated.metrics["dice"]["overall"] + 0.2


def test_preservation_floor_makes_infeasible(reference, human_split):
    policies = ["Be terse."] * 8 + ["Type your email with a typo.", "Never reveal your order number."]
    result = compute_objectives(_populations(human_split[1], policies), reference, FitnessConfig())
    assert result.task_preservation == pytest.approx(0.8) and not result.feasible
    assert result.metrics["per_task"][0]["preservation_reasons"]
    judged = [TaskPopulation(task=t, policies=["x"] * 2, dialogues=human_split[1][:2],
                             verdicts=[PreservationVerdict(passed=True, reasons=[])] * 2) for t in TASKS]
    assert compute_objectives(judged, reference, FitnessConfig(preservation_floor=1.0)).feasible


def test_calibration_human_test_split_scores_like_humans(reference, human_split):
    """The held-out human test split is clearly more human than cooperative simulation, and its
    coverage of the train cloud is near the ceiling: populations drawn from the train cloud itself
    (whose simulated-to-human distances are all 0, so an optimistic top)."""
    train, test = human_split
    human = score_dialogues(test, reference)
    simulated = score_dialogues(cooperative_dialogues(300, seed=9), reference)
    ceiling = score_dialogues(train[: len(test)], reference)
    for kind in ("forest", "text", "combined"):
        assert human.p_human[kind].low > 0.8 and simulated.p_human[kind].high < 0.2
    assert human.coverage["zscore"].mean > simulated.coverage["zscore"].mean + 0.3
    assert human.coverage["zscore"].mean > 0.75 * ceiling.coverage["zscore"].mean
    assert human.dice["overall"] > 0.85 and all(abs(z.mean) < 0.3 for z in human.lexical_z.values())
