"""The numbers of one row of the comparison, from a condition's episodes or from the test humans.

Program rows reuse the evolution's `compute_objectives` (every discriminator, both coverage spaces,
Dice, lexical z), so a comparison and the fitness of a run measure the same thing. The humans row
(the ceiling) scores the held-out test humans with the same reference: P(human) from the same
discriminators, and coverage of the train cloud by populations of n test dialogues (a task's
population size), shuffled by seed so each population mixes corpora as a persona population would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from evopersona.compare.models import MetricValue, ci_or_none
from evopersona.compare.runner import ConditionRun
from evopersona.config import FitnessConfig
from evopersona.evaluation.pipeline import judge_unparseable
from evopersona.fitness.dialogues_score import score_dialogues
from evopersona.fitness.objectives import TaskPopulation, compute_objectives
from evopersona.fitness.reference import FitnessReference
from evopersona.fitness.stats import MeanCI, UNIT, mean_ci
from evopersona.llm.ledger import LLMCallRecord


def llm_usage(records: Sequence[LLMCallRecord]) -> dict[str, float | int]:
    return {
        "llm.calls": len(records), "llm.cached_calls": sum(r.cached for r in records),
        "llm.errors": sum(r.error is not None for r in records),
        "llm.tokens_in": sum(r.tokens_in for r in records), "llm.tokens_out": sum(r.tokens_out for r in records),
        "llm.cost_usd": round(float(sum(r.cost_usd for r in records)), 6),
    }


def _common(p_human: dict[str, MeanCI], coverage: dict[str, MeanCI], dice: dict[str, float],
            lexical: dict[str, MeanCI], config: FitnessConfig) -> dict[str, MetricValue]:
    out: dict[str, MetricValue] = {f"p_human.{kind}": ci_or_none(ci) for kind, ci in p_human.items()}
    out.update({f"coverage.{space}": ci_or_none(ci) for space, ci in coverage.items()})
    out.update({f"dice.{group}": value for group, value in dice.items() if group != "overall"})
    out["dice.mean"] = dice.get("overall")
    out.update({f"lexical_z.{name}": ci_or_none(ci) for name, ci in lexical.items()})
    hl, cov = p_human[config.discriminator].mean, coverage[config.coverage_space].mean
    out["score"] = None if np.isnan(hl) or np.isnan(cov) else config.human_likeness_weight * hl + config.coverage_weight * cov
    return out


def program_metrics(run: ConditionRun, reference: FitnessReference, config: FitnessConfig,
                    llm: Sequence[LLMCallRecord]) -> dict[str, MetricValue]:
    """The row of a program condition."""
    populations = [
        TaskPopulation(task=task, policies=[r.policy for r in records],
                       dialogues=[t.user_turns() for t in transcripts], verdicts=verdicts)
        for task, records, verdicts, transcripts in zip(run.tasks, run.records, run.verdicts, run.transcripts, strict=True)
    ]
    objectives = compute_objectives(populations, reference, config)
    m = objectives.metrics
    out = _common({k: MeanCI(**v) for k, v in m["p_human"].items()}, {k: MeanCI(**v) for k, v in m["coverage"].items()},
                  m["dice"], {k: MeanCI(**v) for k, v in m["lexical_z"].items()}, config)
    flat = [t for per_task in run.transcripts for t in per_task]
    outcomes = [float(t.agent_success) for t in flat if t.agent_success is not None]
    out.update({
        "task_preservation": objectives.task_preservation,
        "judge_unparseable": judge_unparseable(run.verdicts) if config.llm_preservation_judge else None,
        "turns_per_episode": ci_or_none(mean_ci([len(t.user_turns()) for t in flat])),
        "agent_success": ci_or_none(mean_ci(outcomes, bounds=UNIT)) if outcomes else None,
        "episodes": len(flat),
        "episode_errors": sum(t.ended_by == "error" for t in flat),
        **llm_usage(llm),
    })
    return out


def shuffled(dialogues: list[list[str]], n: int, seed: int) -> list[list[str]]:
    """The dialogues in a seeded order, so that consecutive chunks of n mix the corpora."""
    order = list(range(len(dialogues)))
    random.Random(seed).shuffle(order)
    return [dialogues[i] for i in order]


def humans_metrics(test_dialogues: list[list[str]], reference: FitnessReference, config: FitnessConfig,
                   n: int, seed: int) -> dict[str, MetricValue]:
    """The ceiling row: held-out test humans scored against the train reference."""
    ordered = shuffled([d for d in test_dialogues if d], n, seed)
    scores = score_dialogues(ordered, reference, population_size=n)
    out = _common(scores.p_human, scores.coverage, scores.dice, scores.lexical_z, config)
    out.update({
        "task_preservation": None,
        "judge_unparseable": None,
        "turns_per_episode": ci_or_none(mean_ci([len(d) for d in ordered])),
        "agent_success": None,
        "episodes": len(ordered),
        "episode_errors": 0,
    })
    return out


def heldout_auc(reference: FitnessReference, humans: list[list[str]], simulated: list[list[str]]) -> dict[str, float | None]:
    """ROC-AUC of each discriminator on test humans vs the no-persona condition's test episodes."""
    humans, simulated = [d for d in humans if d], [d for d in simulated if d]
    if not humans or not simulated:
        return {kind: None for kind in reference.discriminators}
    labels = np.r_[np.ones(len(humans)), np.zeros(len(simulated))]
    return {kind: float(roc_auc_score(labels, np.r_[disc.p_human(humans), disc.p_human(simulated)]))
            for kind, disc in reference.discriminators.items()}
