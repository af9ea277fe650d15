"""The three kinds of negatives a human-likeness discriminator is fitted against, and their weights.

Why three: a run's own no-persona baseline episodes (the paper's protocol) only teach "not like this
simulator"; the bundled real LLM-simulator dialogues (`fitness/llm_sim/`, τ²-bench users played by
gpt-4.1 / gpt-4o) teach what off-the-shelf LLM users actually write; the cooperative stand-in
(`cooperative.py`) adds the caricature of a polite, front-loading simulator. Each kind present gets
the same share of the negative class's weight, whatever its size, so that none dominates, and the
negative class as a whole weighs as much as the humans.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from evopersona.fitness.cooperative import cooperative_dialogues
from evopersona.humans import HumanDialogue, load_dialogues_file
from evopersona.resources import llm_sim_dir

NegativeKindName = Literal["baseline", "llm_sim", "cooperative"]
HUMAN = "human"
LLM_SIM_FILE = "tau2_user_sim.jsonl"
COOPERATIVE_SEED = 0
COOPERATIVE_N = 300
COOPERATIVE_SOURCE = f"cooperative simulator stand-in (evopersona.fitness.cooperative, seed {COOPERATIVE_SEED})"
LLM_SIM_SOURCE = "real LLM-simulated users, τ²-bench gpt-4.1 / gpt-4o (fitness/llm_sim, MIT, Sierra Research)"


class NegativeKind(BaseModel):
    """One kind of negatives in a fitted reference: how many dialogues, their weight share, origin."""

    model_config = ConfigDict(frozen=True)
    kind: NegativeKindName
    n: int
    weight_share: float
    source: str


class Negatives(BaseModel):
    """Negative dialogues (user sides) with the kind of each, in the order given to the discriminators."""

    model_config = ConfigDict(frozen=True)
    dialogues: list[list[str]]
    kinds: list[NegativeKindName]
    sources: dict[str, str]

    def summary(self) -> list[NegativeKind]:
        present = [k for k in ("baseline", "llm_sim", "cooperative") if k in self.kinds]
        return [NegativeKind(kind=k, n=self.kinds.count(k), weight_share=round(1 / len(present), 4), source=self.sources[k])
                for k in present]


def llm_sim_corpus() -> list[HumanDialogue]:
    """The bundled real LLM-simulator dialogues (those with at least one user turn)."""
    return [d for d in load_dialogues_file(llm_sim_dir() / LLM_SIM_FILE) if d.user_turns()]


def user_model(dialogue: HumanDialogue) -> str:
    """The simulator's model name without a provider prefix (`azure/gpt-4o-2024-11-20` -> `gpt-4o`)."""
    name = str((dialogue.meta or {}).get("user_model", "unknown")).rsplit("/", 1)[-1]
    return name.split("-20")[0]


def three_kinds(
    baseline: list[list[str]] | None, n_cooperative: int = COOPERATIVE_N, *, llm_sim: list[HumanDialogue] | None = None,
    baseline_source: str = "the run's no-persona baseline episodes",
) -> Negatives:
    """Baseline episodes (when a run has them), the bundled LLM-simulator dialogues (or the subset
    given) and `n_cooperative` cooperative stand-in dialogues."""
    sims = llm_sim_corpus() if llm_sim is None else llm_sim
    parts: list[tuple[NegativeKindName, list[list[str]], str]] = [
        ("baseline", [d for d in baseline or [] if d], baseline_source),
        ("llm_sim", [d.user_turns() for d in sims], LLM_SIM_SOURCE),
        ("cooperative", cooperative_dialogues(n_cooperative, seed=COOPERATIVE_SEED), COOPERATIVE_SOURCE),
    ]
    dialogues = [d for _, ds, _ in parts for d in ds]
    kinds: list[NegativeKindName] = [k for k, ds, _ in parts for _ in ds]
    return Negatives(dialogues=dialogues, kinds=kinds, sources={k: s for k, ds, s in parts if ds})


def balanced_weights(groups: list[str]) -> np.ndarray:
    """Sample weights: humans weigh half of the total, each negative kind an equal part of the other
    half; normalised to a mean weight of 1."""
    labels = np.asarray(groups)
    negatives = sorted(set(groups) - {HUMAN})
    share = {HUMAN: 0.5, **{k: 0.5 / len(negatives) for k in negatives}}
    counts = {g: int((labels == g).sum()) for g in share}
    weights = np.array([share[g] / counts[g] for g in groups])
    return weights * len(groups) / weights.sum()
