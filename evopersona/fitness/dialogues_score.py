"""Scoring a file of dialogues on its own (`evopersona score --dialogues`).

The discriminators need negatives. `--reference runs/<name>/reference` scores against a run's
reference; without it, against the default offline run's (`evaluation/reference.py`
`default_reference`). Either has three kinds of negatives (`negatives.py`: no-persona baseline
episodes, the bundled real LLM-simulator dialogues, the cooperative stand-in), recorded with it and
returned with the scores. Coverage is measured on populations of `population_size` consecutive
dialogues (the per-task N of an evaluation), so the figure is comparable with an evaluation's coverage.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from evopersona.errors import InputError
from evopersona.fitness.dice import aggregate_dice
from evopersona.fitness.fingerprint import fingerprint_many
from evopersona.fitness.negatives import NegativeKind
from evopersona.fitness.reference import FitnessReference
from evopersona.fitness.stats import UNIT, MeanCI, mean_ci


class DialogueScores(BaseModel):
    n_dialogues: int
    population_size: int
    p_human: dict[str, MeanCI]
    coverage: dict[str, MeanCI]
    dice: dict[str, float]
    lexical_z: dict[str, MeanCI]
    discriminators: dict[str, Any]
    negatives: list[NegativeKind]


def score_dialogues(dialogues: list[list[str]], reference: FitnessReference, population_size: int = 10) -> DialogueScores:
    """P(human) per discriminator, coverage of the human train cloud, Dice D1–D4, lexical z."""
    dialogues = [d for d in dialogues if d]
    if not dialogues:
        raise InputError("no dialogue with a user turn to score")
    if population_size < 1:
        raise InputError("population size must be at least 1")
    fp = fingerprint_many(dialogues)
    populations = [fp[i : i + population_size] for i in range(0, len(fp), population_size)]
    return DialogueScores(
        n_dialogues=len(dialogues), population_size=population_size,
        p_human={kind: mean_ci(d.p_human(dialogues), bounds=UNIT) for kind, d in reference.discriminators.items()},
        coverage={space: cloud.mean_coverage(populations) for space, cloud in reference.clouds.items()},
        dice=aggregate_dice(fp, reference.human_mean), lexical_z=reference.meta.lexical.zscores(dialogues),
        discriminators={k: r.model_dump(mode="json") for k, r in reference.meta.reports.items()},
        negatives=reference.meta.negatives,
    )
