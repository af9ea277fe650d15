"""The fitness reference of a run, built once and saved in `runs/<name>/reference/`.

Humans: the train split of the human corpora (the test split is never used for fitting or evolution).
Negatives (`fitness/negatives.py`): episodes of the no-persona baseline program on the run's
train-split tasks, the bundled real LLM-simulator dialogues and the cooperative stand-in, each kind
an equal share of the negative weight. The human cloud for coverage comes from the humans alone.

`default_reference` is the reference of the default offline run (`RunConfig()`: seed 0, offline
provider, retail train tasks, `programs/baseline.py` in the sandbox), for scoring a dialogue file
without a run: the same code path, so it has the same three kinds of negatives as every run's.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from evopersona.config import RunConfig
from evopersona.errors import WorkFailed
from evopersona.evaluation.realism import build_anchors
from evopersona.evolve.seeds import load_seed_code
from evopersona.fitness.negatives import three_kinds
from evopersona.fitness.reference import FitnessReference, build_reference
from evopersona.humans import HumanDialogue, load_human_corpus, split_humans
from evopersona.llm.factory import make_gateway
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.episode import EpisodeRequest, run_episode
from evopersona.simulate.prompts import user_prompt_style
from evopersona.simulate.transcript import Transcript
from evopersona.tasks import Task, load_tasks

REFERENCE_DIR = "reference"
SPLIT_FILE = "splits.json"
BASELINE_FILE = "baseline_episodes.jsonl"


def human_split(config: RunConfig) -> tuple[list[HumanDialogue], list[HumanDialogue]]:
    humans = load_human_corpus(config.fitness.human_sources)
    return split_humans(humans, config.fitness.human_test_fraction, seed=config.seed)


def reference_tasks(config: RunConfig) -> list[Task]:
    """Train-split tasks of the run's source: the baseline episodes are the discriminator's negatives."""
    tasks = load_tasks(config.tasks.source, "train")
    limit = config.fitness.reference_tasks
    return tasks[:limit] if limit is not None else tasks


async def baseline_transcripts(config: RunConfig, gateway: Any, tasks: list[Task], console: Console | None = None) -> list[Transcript]:
    """Episodes of the baseline program (no persona by default) on the given tasks."""
    code = load_seed_code(config.fitness.baseline_program)
    n = config.fitness.baseline_personas_per_task
    loop = asyncio.get_running_loop()
    with SandboxPool(config.sandbox, gateway_handler(gateway, loop=loop)) as pool:
        outputs = await asyncio.gather(*(pool.arun(code, t.generator_view(), n, config.seed) for t in tasks))
    requests = [
        EpisodeRequest(task=task, policy=None if out.no_persona else r.policy, max_turns=config.episodes.max_turns,
                       seed=config.seed + i, persona_id=r.persona_id, user_prompt=user_prompt_style(config.llm))
        for task, out in zip(tasks, outputs, strict=True)
        for i, r in enumerate(out.records)
    ]
    gate = asyncio.Semaphore(config.llm.role("user").concurrency)
    progress = Progress(console=console, transient=True, disable=console is None)

    async def one(request: EpisodeRequest, bar: Any) -> Transcript:
        async with gate:
            transcript = await run_episode(request.task, request.policy, gateway, max_turns=request.max_turns,
                                           seed=request.seed, persona_id=request.persona_id, user_prompt=request.user_prompt)
        progress.advance(bar)
        return transcript

    with progress:
        bar = progress.add_task("baseline episodes", total=len(requests))
        transcripts = list(await asyncio.gather(*(one(r, bar) for r in requests)))
    failed = [t for t in transcripts if t.ended_by == "error"]
    if len(failed) > len(transcripts) // 2:
        raise WorkFailed(f"baseline episodes failed ({len(failed)} of {len(transcripts)}): {failed[0].error}")
    return transcripts


def ensure_reference(config: RunConfig, gateway: Any, console: Console | None = None) -> Path:
    """The run's reference folder, built on first use (baseline episodes + fitted discriminators)."""
    folder = config.run_dir() / REFERENCE_DIR
    if not (folder / "reference.json").is_file():
        fit_reference(config, gateway, folder, console)
    return folder


def baseline_source(config: RunConfig, n_tasks: int) -> str:
    """How the baseline negatives were made, as recorded in `reference.json` and printed by score/compare."""
    return (f"no-persona baseline episodes ({config.fitness.baseline_program}, user model "
            f"{config.llm.role('user').model}, {n_tasks} {config.tasks.source} train tasks x "
            f"{config.fitness.baseline_personas_per_task}, seed {config.seed})")


def fit_reference(config: RunConfig, gateway: Any, folder: Path, console: Console | None = None) -> FitnessReference:
    """Run the baseline episodes, fit the discriminators against the three kinds of negatives, save to `folder`."""
    train, test = human_split(config)
    tasks = reference_tasks(config)
    if console is not None:
        console.print(f"building the fitness reference: {len(train)} human train dialogues vs baseline episodes on {len(tasks)} train tasks")
    transcripts = asyncio.run(baseline_transcripts(config, gateway, tasks, console))
    simulated = [t.user_turns() for t in transcripts if t.user_turns()]
    human_sides = [h.user_turns() for h in train]
    negatives = three_kinds(simulated, baseline_source=baseline_source(config, len(tasks)))
    reference = build_reference(human_sides, negatives, config.fitness)
    folder.mkdir(parents=True, exist_ok=True)
    if config.fitness.realism_judges:
        asyncio.run(build_anchors(gateway, human_sides, simulated, config.seed)).save(folder)
    reference.save(folder)
    splits = {"human_train": [h.id for h in train], "human_test": [h.id for h in test], "baseline_tasks": [t.id for t in tasks]}
    (folder / SPLIT_FILE).write_text(json.dumps(splits, indent=1), encoding="utf-8")
    (folder / BASELINE_FILE).write_text("".join(t.model_dump_json() + "\n" for t in transcripts), encoding="utf-8")
    return reference


def default_reference(folder: Path | None = None, console: Console | None = None) -> FitnessReference:
    """The default offline run's reference: loaded from `folder` if saved there, else fitted (and saved
    there when given). Its baseline episodes are generated, deterministically, with the offline
    provider; nothing of it is written outside `folder` (the LLM cache lives in a temporary folder)."""
    if folder is not None and (folder / "reference.json").is_file():
        return FitnessReference.load(folder)
    with tempfile.TemporaryDirectory(prefix="evopersona-default-reference-") as scratch:
        config = RunConfig(name="default-reference", runs_dir=scratch, ray={"executor": "inline"})
        gateway = make_gateway(config)
        try:
            return fit_reference(config, gateway, folder or Path(scratch) / REFERENCE_DIR, console)
        finally:
            gateway.close()


def baseline_user_sides(folder: Path) -> list[list[str]]:
    """The user sides of the baseline episodes saved with a reference (its `baseline` negatives)."""
    lines = (folder / BASELINE_FILE).read_text(encoding="utf-8").splitlines()
    sides = [Transcript.model_validate_json(line).user_turns() for line in lines if line.strip()]
    return [s for s in sides if s]


def load_reference(folder: Path) -> FitnessReference:
    return FitnessReference.load(folder)
