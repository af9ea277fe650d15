"""What fitness is measured against, fitted once per run: `FitnessReference`.

It holds the human train fingerprints and their z-score statistics (coverage space), the human
clouds with their d_ref, the lexical anchor, and the fitted, calibrated discriminators (humans vs
three kinds of negatives, `negatives.py`: the run's no-persona baseline episodes, the bundled real
LLM-simulator dialogues, the cooperative stand-in; which ones and how many is in `meta.negatives`).
Saved to a folder (`reference.json`, `human_fp.npy`, `<kind>.joblib`) so every worker loads it
instead of refitting.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from evopersona.config import FitnessConfig
from evopersona.errors import InputError
from evopersona.fitness.coverage import FeatureStats, HumanCloud
from evopersona.fitness.discriminator import DISCRIMINATORS, Discriminator, FitReport
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.lexical import LexicalAnchor
from evopersona.fitness.negatives import NegativeKind, Negatives

DEFAULT_KINDS = ("forest", "text", "combined")


class ReferenceMeta(BaseModel):
    model_config = ConfigDict(frozen=True)
    feature_names: list[str]
    feature_stats: FeatureStats
    lexical: LexicalAnchor
    kinds: list[str]
    reports: dict[str, FitReport]
    n_human: int
    n_simulated: int
    negatives: list[NegativeKind]

    def negatives_line(self) -> str:
        """One line naming each kind of negatives with its count and weight share (for score/compare)."""
        return "; ".join(f"{n.kind} {n.n} dialogues (weight {n.weight_share:.0%}): {n.source}" for n in self.negatives)


class FitnessReference:
    def __init__(self, human_fp: np.ndarray, meta: ReferenceMeta, discriminators: dict[str, Discriminator]) -> None:
        self.human_fp = human_fp
        self.meta = meta
        self.discriminators = discriminators
        self.clouds = {space: HumanCloud(human_fp, space, meta.feature_stats) for space in ("zscore", "raw")}

    @property
    def human_mean(self) -> np.ndarray:
        return self.human_fp.mean(axis=0)

    def discriminator(self, kind: str) -> Discriminator:
        if kind not in self.discriminators:
            raise InputError(f"discriminator '{kind}' is not in this reference (have {sorted(self.discriminators)})")
        return self.discriminators[kind]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "human_fp.npy", self.human_fp)
        for kind, disc in self.discriminators.items():
            disc.save(folder / f"{kind}.joblib")
        (folder / "reference.json").write_text(self.meta.model_dump_json(indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> FitnessReference:
        meta_path = folder / "reference.json"
        if not meta_path.is_file():
            raise InputError(f"{folder}: no fitness reference here (reference.json missing)")
        try:
            meta = ReferenceMeta.model_validate_json(meta_path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise InputError(f"{folder}: reference.json is not a reference of this evopersona version "
                             f"({exc.errors()[0]['msg']}); delete the folder to rebuild it") from None
        if meta.feature_names != FEATURE_NAMES:
            raise InputError(f"{folder}: reference was built with other fingerprint features")
        discs = {kind: DISCRIMINATORS[kind].load(folder / f"{kind}.joblib") for kind in meta.kinds}
        return cls(np.load(folder / "human_fp.npy"), meta, discs)


def build_reference(
    human_train: list[list[str]], negatives: Negatives, config: FitnessConfig, *, kinds: tuple[str, ...] | None = None,
) -> FitnessReference:
    """Fingerprint the human train split and fit the discriminators against the negatives.

    `kinds` defaults to all three discriminators (the configured one must be among them)."""
    chosen = list(kinds or DEFAULT_KINDS)
    if config.discriminator not in chosen:
        chosen.append(config.discriminator)
    human_fp = fingerprint_many(human_train)
    discs: dict[str, Discriminator] = {}
    for kind in chosen:
        discs[kind] = DISCRIMINATORS[kind]()
        discs[kind].fit(human_train, negatives.dialogues, kinds=list(negatives.kinds))
    meta = ReferenceMeta(
        feature_names=FEATURE_NAMES, feature_stats=FeatureStats.of(human_fp), lexical=LexicalAnchor.of(human_train),
        kinds=chosen, reports={k: d.report for k, d in discs.items() if d.report}, n_human=len(human_train),
        n_simulated=len(negatives.dialogues), negatives=negatives.summary(),
    )
    return FitnessReference(human_fp, meta, discs)
