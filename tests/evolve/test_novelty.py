"""The novelty filter rejects, before evaluation, children whose code or dry-run behaviour is too
close to a known program, and stores the reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from evopersona.config import NoveltyConfig, RunConfig
from evopersona.evolve.novelty import NotNovel, NoveltyFilter, ngram_embedding
from evopersona.evolve.seeds import load_seed_code
from evopersona.llm.gateway import Gateway
from evopersona.tasks import load_domain

from .test_bandit import CueCountingExecutor


def test_ngram_embedding_is_unit_length_and_ranks_similarity() -> None:
    base = ngram_embedding("the user types short fragments in lowercase")
    close = ngram_embedding("the user types short fragments in lowercase, often")
    far = ngram_embedding("def generate(task, n, llm, rng): return []")
    assert np.linalg.norm(base) == pytest.approx(1.0)
    assert base @ close > 0.8 > base @ far


def test_behaviour_of_a_dry_run_catches_a_child_that_writes_the_same_policies() -> None:
    config = RunConfig()
    gateway = Gateway(config.llm)
    novelty = NoveltyFilter(NoveltyConfig(behaviour_similarity=0.999), config.sandbox, gateway,
                            load_domain("retail")[0], seed=0)
    parent = load_seed_code("compositional.py")
    renamed = parent + "\n\nUNUSED_SETTING = 3\n"  # new code, same personas

    async def main() -> None:
        try:
            await novelty.ensure_behaviour(1, parent)
            with pytest.raises(NotNovel, match=r"behaviour 1\.0000 similar to program 1"):
                await novelty.check(await novelty.describe(renamed))
            with pytest.raises(NotNovel, match="dry run failed"):
                await novelty.describe(parent.replace("def generate(", "def generate_old("))
        finally:
            novelty.close()

    asyncio.run(main())
    gateway.close()


def test_engine_stores_novelty_rejections_and_skips_their_evaluations(tmp_path: Path, run_engine) -> None:
    config = RunConfig(name="novelty", runs_dir=str(tmp_path), seed=1, ray={"executor": "inline"},
                       search={"in_flight": 1, "max_evaluations": 14, "islands": 1, "max_mutation_attempts": 20,
                               "novelty": {"code_similarity": 0.9985}})
    engine, store, stats = run_engine(config, CueCountingExecutor(), load_domain("retail")[:1])
    assert stats.stop_reason == "max_evaluations"
    rejected = store.rejection_counts(engine.run_id).get("not_novel", 0)
    assert rejected > 0 and stats.rejections.get("not_novel") == rejected
    assert len(store.list_programs(engine.run_id)) == 14, "a rejected child is never stored or evaluated"
