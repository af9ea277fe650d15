"""The optional LLM realism judges of a run (method.md §3.3), independent of the discriminators.

At reference time: a fixed sample of human train dialogues (the pairwise judge's opponents) and the
two calibration anchors (human-vs-human, proxy-vs-proxy with the baseline episodes) are saved in
`reference/judges.json`. Per evaluation: pairwise indistinguishability against those humans and the
yes/no rubric, each raw and calibrated.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evopersona.fitness.judges import Calibration, pairwise_calibration, pairwise_indistinguishability, rubric_calibration, rubric_score

JUDGES_FILE = "judges.json"
OPPONENTS = 40
ANCHORS = 20


class JudgeAnchors(BaseModel):
    opponents: list[list[str]]
    pairwise: Calibration
    rubric: Calibration

    def save(self, folder: Path) -> None:
        (folder / JUDGES_FILE).write_text(self.model_dump_json(), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> JudgeAnchors | None:
        path = folder / JUDGES_FILE
        return cls.model_validate_json(path.read_text(encoding="utf-8")) if path.is_file() else None


async def build_anchors(gateway: Any, humans: list[list[str]], baseline: list[list[str]], seed: int) -> JudgeAnchors:
    rng = random.Random(seed)
    opponents = rng.sample(humans, min(OPPONENTS, len(humans)))
    anchor_humans = rng.sample(humans, min(ANCHORS, len(humans)))
    anchor_proxies = rng.sample(baseline, min(ANCHORS, len(baseline)))
    return JudgeAnchors(
        opponents=opponents,
        pairwise=await pairwise_calibration(gateway, anchor_humans, anchor_proxies, seed=seed),
        rubric=await rubric_calibration(gateway, anchor_humans, anchor_proxies, seed=seed),
    )


async def judge_realism(gateway: Any, dialogues: list[list[str]], anchors: JudgeAnchors, seed: int) -> dict[str, Any]:
    """Raw and calibrated scores of both judges for one evaluation's user sides."""
    pairwise = await pairwise_indistinguishability(gateway, dialogues, anchors.opponents, seed=seed)
    rubric = await rubric_score(gateway, dialogues, seed=seed)
    return {
        "pairwise": {**pairwise.model_dump(), "calibrated": anchors.pairwise.apply(pairwise.score.mean)},
        "rubric": {"score": rubric.model_dump(), "calibrated": anchors.rubric.apply(rubric.mean)},
    }
