"""The comparison protocol of method.md §1.11: every condition on the same held-out tasks.

Configuration: the first named run's configuration (its models, seed, fitness settings) or the
defaults, with the command's overrides. The fitness reference (discriminators and the human cloud)
is the named run's own when its reference settings match (it was built from the train split),
otherwise it is built in the output folder from train-split humans and baseline episodes of
train-split tasks. The human split seed is always the reference's; `--seed` only seeds generation
and episodes, identically for every condition.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from evopersona.compare.conditions import Condition, NamedRun, resolve_conditions
from evopersona.compare.metrics import (
    heldout_auc,
    humans_metrics,
    llm_usage,
    program_metrics,
)
from evopersona.compare.models import (
    CompareDocument,
    ConditionResult,
    DiscriminatorInfo,
)
from evopersona.compare.runner import ConditionRun, run_condition
from evopersona.compare.splits import check_splits, read_splits
from evopersona.compare.table import markdown
from evopersona.config import ROLES, RunConfig, apply_overrides, validate_config
from evopersona.errors import InputError
from evopersona.evaluation.reference import REFERENCE_DIR, ensure_reference
from evopersona.fitness.reference import FitnessReference
from evopersona.humans import load_human_corpus
from evopersona.llm.ledger import LLMCallRecord
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.prompts import user_prompt_style
from evopersona.tasks import Task, load_tasks

SPLITS = ("test", "train")
DEFAULT_OUT = Path("compare-out")
COMPARE_DIR = "compare"
JSON_FILE = "compare.json"
MARKDOWN_FILE = "compare.md"
LLM_SCOPE = {
    "builtin": "every call of the condition: persona generation, preservation judge, user and agent turns",
    "tau2": "persona generation and preservation judge only: τ² episodes call litellm directly, outside the gateway ledger",
}


class CompareRequest(BaseModel):
    domain: str = "retail"
    split: str = "test"
    n: int = Field(default=10, ge=1)
    programs: list[str]
    max_tasks: int | None = Field(default=None, ge=1)
    seed: int | None = None
    model: str | None = None
    runner: Literal["builtin", "tau2"] | None = None
    out: Path | None = None
    overrides: list[str] = Field(default_factory=list)


def build_config(request: CompareRequest, runs: list[NamedRun]) -> RunConfig:
    """The first named run's configuration (else the defaults) with the request's settings."""
    data: dict[str, Any] = runs[0].config.model_dump(mode="json") if runs else {"name": "compare"}
    data.setdefault("tasks", {})["source"] = request.domain
    data.setdefault("ray", {})["executor"] = "inline"
    flags = list(request.overrides)
    if request.model:
        flags.append(f"llm.model={request.model}")
    if request.runner:
        flags.append(f"episodes.runner={request.runner}")
    return validate_config(apply_overrides(data, flags), "compare settings")


def reference_settings(config: RunConfig) -> dict[str, Any]:
    """Everything the reference depends on: two configs with equal settings give the same reference."""
    return {
        "source": config.tasks.source, "seed": config.seed, "max_turns": config.episodes.max_turns,
        "user_prompt": user_prompt_style(config.llm),
        "fitness": config.fitness.model_dump(mode="json", include={
            "human_sources", "human_test_fraction", "baseline_program", "baseline_personas_per_task",
            "reference_tasks", "discriminator"}),
        "models": {role: config.llm.role(role).model_dump(mode="json", include={"model", "temperature"})
                   for role in ("generator", "user", "agent")},
    }


def _reusable_run_reference(config: RunConfig, runs: list[NamedRun]) -> Path | None:
    wanted = reference_settings(config)
    for run in runs:
        folder = Path(run.run_dir) / REFERENCE_DIR
        if (folder / "reference.json").is_file() and reference_settings(run.config) == wanted:
            return folder
    return None


def reference_folder(config: RunConfig, runs: list[NamedRun], out_dir: Path, gateway: Any,
                     console: Console | None) -> tuple[Path, bool]:
    """A matching named run's reference, else one built (once per settings) in the output folder."""
    reused = _reusable_run_reference(config, runs)
    if reused is not None:
        return reused, False
    digest = hashlib.sha256(json.dumps(reference_settings(config), sort_keys=True).encode()).hexdigest()[:10]
    local = config.model_copy(update={"name": f"ref-{digest}", "runs_dir": str(out_dir)})
    folder = local.run_dir() / REFERENCE_DIR
    built = not (folder / "reference.json").is_file()
    return ensure_reference(local, gateway, console), built


def output_dir(request: CompareRequest, runs: list[NamedRun]) -> Path:
    if request.out is not None:
        return request.out
    return Path(runs[0].run_dir) / COMPARE_DIR if runs else DEFAULT_OUT


def select_tasks(domain: str, split: str, max_tasks: int | None) -> list[Task]:
    if split not in SPLITS:
        raise InputError(f"unknown split '{split}': choose {' or '.join(SPLITS)} (the paper's protocol uses test)")
    tasks = load_tasks(domain, split)
    return tasks[:max_tasks] if max_tasks is not None else tasks


async def _run_all(conditions: list[Condition], tasks: list[Task], n: int, seed: int, config: RunConfig,
                   gateway: Any, console: Console | None) -> list[tuple[ConditionRun, list[LLMCallRecord]]]:
    loop = asyncio.get_running_loop()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=console is None)
    results = []
    with progress, SandboxPool(config.sandbox, gateway_handler(gateway, loop=loop)) as pool:
        for condition in conditions:
            bar = progress.add_task(condition.name, total=len(tasks) * (n + 1))
            run = await run_condition(condition, tasks, n, seed, config, gateway, pool,
                                      lambda k, bar=bar: progress.advance(bar, k))
            results.append((run, gateway.ledger.drain()))
    await gateway.aclose()
    return results


class CompareOutcome(BaseModel):
    document: CompareDocument
    out_dir: Path
    written: list[Path]


def run_compare(request: CompareRequest, console: Console | None = None) -> CompareOutcome:
    """Run the comparison and write compare.json and compare.md (see `write_outputs`)."""
    from evopersona.llm.factory import make_gateway

    tasks = select_tasks(request.domain, request.split, request.max_tasks)
    conditions, runs = resolve_conditions(request.programs)
    config = build_config(request, runs)
    seed = config.seed if request.seed is None else request.seed
    out_dir = output_dir(request, runs)
    if config.llm.cache_dir is None:
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"cache_dir": str(out_dir / "llm-cache")})})
    gateway = make_gateway(config)
    try:
        ref_dir, built = reference_folder(config, runs, out_dir, gateway, console)
        reference_llm = llm_usage(gateway.ledger.drain())
        splits = read_splits(ref_dir)
        bookkeeping = check_splits(splits, request.domain, request.split, tasks, runs)
        reference = FitnessReference.load(ref_dir)
        if console is not None:
            console.print(f"{'built' if built else 'using'} the fitness reference {ref_dir}; "
                          f"{len(conditions)} conditions × {len(tasks)} {request.domain} {request.split} tasks × {request.n} personas")
        runs_done = asyncio.run(_run_all(conditions, tasks, request.n, seed, config, gateway, console))
    finally:
        gateway.close()
    test_ids = set(splits.human_test)
    test_humans = [h.user_turns() for h in load_human_corpus(config.fitness.human_sources) if h.id in test_ids]
    rows = [ConditionResult(name="humans", kind="humans", source=f"{len(test_humans)} held-out test human dialogues",
                            metrics=humans_metrics(test_humans, reference, config.fitness, request.n, seed))]
    rows += [ConditionResult(name=run.condition.name, kind="program", source=run.condition.source,
                             metrics=program_metrics(run, reference, config.fitness, llm)) for run, llm in runs_done]
    baseline = next((run for run, _ in runs_done if run.no_persona), None)
    auc = heldout_auc(reference, test_humans, [t.user_turns() for per in baseline.transcripts for t in per]) if baseline else {}
    document = CompareDocument(
        domain=request.domain, split=request.split, n=request.n, tasks=[t.id for t in tasks], seed=seed,
        models={role: config.llm.role(role).model for role in ROLES if role not in ("mutator", "reflection")},
        runner=config.episodes.runner, reference=str(ref_dir), splits=bookkeeping,
        discriminators={kind: DiscriminatorInfo(cv_roc_auc=report.cv_roc_auc if (report := reference.meta.reports.get(kind)) else None,
                                                heldout_roc_auc=auc.get(kind), ece=report.ece if report else None)
                        for kind in reference.discriminators},
        negatives=reference.meta.negatives,
        llm_reference=reference_llm, llm_scope=LLM_SCOPE[config.episodes.runner], conditions=rows,
    )
    return CompareOutcome(document=document, out_dir=out_dir, written=write_outputs(document, out_dir, runs))


def write_outputs(document: CompareDocument, out_dir: Path, runs: list[NamedRun]) -> list[Path]:
    """compare.json and compare.md in the output folder, and in each named run's compare/ folder
    (where the run's HTML report looks for them) when that is another folder."""
    folders = [out_dir]
    for run in runs:
        folder = Path(run.run_dir) / COMPARE_DIR
        if folder.resolve() not in {f.resolve() for f in folders}:
            folders.append(folder)
    written: list[Path] = []
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / JSON_FILE).write_text(document.model_dump_json(indent=2), encoding="utf-8")
        (folder / MARKDOWN_FILE).write_text(markdown(document), encoding="utf-8")
        written += [folder / JSON_FILE, folder / MARKDOWN_FILE]
    return written
