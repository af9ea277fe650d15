"""Scoring a file of dialogues on its own (`evopersona score --dialogues`).

The discriminators need negatives. Without a run (`--reference runs/<name>/reference` brings the
run's baseline episodes), the default reference is fitted on the human train split (bundled corpora,
`split_humans` with the configured test fraction, seed 0) against two of the three kinds of
negatives (`negatives.py`): the bundled real LLM-simulator dialogues and the cooperative stand-in. Coverage is measured on
populations of `population_size` consecutive dialogues (the per-task N of an evaluation), so the
figure is comparable with an evaluation's coverage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evopersona.config import FitnessConfig
from evopersona.errors import InputError
from evopersona.fitness.dice import aggregate_dice
from evopersona.fitness.fingerprint import fingerprint_many
from evopersona.fitness.negatives import NegativeKind, three_kinds
from evopersona.fitness.reference import FitnessReference, build_reference
from evopersona.fitness.stats import MeanCI, UNIT, mean_ci
from evopersona.humans import load_human_corpus, split_humans


class DialogueScores(BaseModel):
    n_dialogues: int
    population_size: int
    p_human: dict[str, MeanCI]
    coverage: dict[str, MeanCI]
    dice: dict[str, float]
    lexical_z: dict[str, MeanCI]
    discriminators: dict[str, Any]
    negatives: list[NegativeKind]


def default_reference(config: FitnessConfig, folder: Path | None = None) -> FitnessReference:
    """Load the reference from `folder` if one is saved there; else fit it (and save it there)."""
    if folder is not None and (folder / "reference.json").is_file():
        return FitnessReference.load(folder)
    train, _ = split_humans(load_human_corpus(config.human_sources), config.human_test_fraction, seed=0)
    human = [d.user_turns() for d in train]
    reference = build_reference(human, three_kinds(None), config)
    if folder is not None:
        reference.save(folder)
    return reference


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
