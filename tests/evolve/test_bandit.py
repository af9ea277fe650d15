"""The mutator-model bandit: the model whose children improve more per dollar gets most calls."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

from evopersona.config import RunConfig
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evolve.bandit import ModelBandit
from evopersona.llm.offline.cues import CUES
from evopersona.store.models import EvaluationResult, Objectives
from evopersona.tasks import load_domain

STRONG, WEAK = "offline/mutator", "offline/mutator-weak"


def test_ucb_prefers_the_model_with_more_improvement_per_dollar() -> None:
    rng = random.Random(0)
    bandit = ModelBandit(["cheap_good", "pricey", "useless"])
    mean_gain = {"cheap_good": 0.02, "pricey": 0.03, "useless": 0.0}
    price = {"cheap_good": 0.001, "pricey": 0.01, "useless": 0.001}
    for _ in range(300):
        model = bandit.choose()
        bandit.charge(model, price[model])
        bandit.reward(model, rng.expovariate(1 / mean_gain[model]) if mean_gain[model] else 0.0)
    calls = {arm.model: arm.calls for arm in bandit.summary()}
    assert calls["cheap_good"] > calls["pricey"] and calls["cheap_good"] > calls["useless"]
    assert calls["cheap_good"] > 150


class CueCountingExecutor:
    """Scores a program by the human-like cue words its code carries (the offline user acts on
    them), so the test needs no episodes: enough to tell a helpful mutator from a useless one."""

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        hits = sum(len(c.pattern.findall(job.code)) for c in CUES if c.name != "formal")
        score = 1 - math.exp(-hits / 60)
        objectives = Objectives(human_likeness=score, coverage=score, task_preservation=1.0, score=score, feasible=True)
        return EvaluationOutcome(program_id=job.program_id, stage="complete",
                                 result=EvaluationResult(status="done", objectives=objectives))

    def shutdown(self) -> None:
        """Nothing to release."""


def test_engine_gives_most_mutator_calls_to_the_better_offline_model(tmp_path: Path, run_engine) -> None:
    config = RunConfig(name="bandit", runs_dir=str(tmp_path), seed=3, ray={"executor": "inline"},
                       search={"in_flight": 1, "max_evaluations": 42, "islands": 1},
                       llm={"roles": {"mutator": {"models": [WEAK, STRONG]}}})
    assert config.llm.role("mutator").model == WEAK, "`model` defaults to the first of `models`"
    engine, store, stats = run_engine(config, CueCountingExecutor(), load_domain("retail")[:2])
    assert stats.stop_reason == "max_evaluations"
    children = Counter(p.model for p in store.list_programs(engine.run_id) if p.mutation_kind != "seed")
    calls = {arm.model: arm.calls for arm in engine.bandit.summary()}
    gains = {arm.model: arm.improvement for arm in engine.bandit.summary()}
    assert set(children) == {STRONG, WEAK}, "the store records which model wrote each child"
    assert gains[STRONG] > gains[WEAK]
    assert calls[STRONG] >= 2 * calls[WEAK], calls
    assert children[STRONG] > children[WEAK]
