"""`evopersona score`: fitness figures for a generator program or for a file of dialogues.

`--program P [--compare Q ...]` runs the evaluation cascade (personas in the sandbox, one episode per
persona, objectives) for each program on the same tasks and seeds, side by side. `--dialogues FILE`
scores the user side of a transcript file (JSONL or JSON; the human-corpus schema, chat `messages`,
τ-bench / τ²-bench results, lists of turns: `fitness/transcripts.py`): P(human) from each
discriminator, coverage of the human train cloud, Dice D1–D4 and lexical z-scores, each mean with a
95% CI, against a run's reference (`--reference`) or the default offline run's, fitted on first use
and kept in the user's cache folder (`evaluation/reference_cache.py`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from evopersona.cli.common import (
    JSON_OPTION,
    emit_json,
    err_console,
    guarded,
    out_console,
)
from evopersona.errors import InputError

if TYPE_CHECKING:
    from evopersona.fitness.dialogues_score import DialogueScores
    from evopersona.fitness.reference import FitnessReference
    from evopersona.fitness.negatives import NegativeKind


def _table(scores: DialogueScores) -> Table:
    table = Table(title=f"{scores.n_dialogues} dialogues (coverage per {scores.population_size})")
    table.add_column("metric")
    table.add_column("mean [95% CI]")
    for kind, ci in scores.p_human.items():
        report = scores.discriminators.get(kind, {})
        table.add_row(f"P(human) {kind} (cv AUC {report.get('cv_roc_auc', float('nan')):.3f}, "
                      f"ECE {report.get('ece', float('nan')):.3f})", str(ci))
    for space, ci in scores.coverage.items():
        table.add_row(f"coverage ({space})", str(ci))
    for group, value in scores.dice.items():
        table.add_row(f"Dice {group}", f"{value:.3f}")
    for metric, ci in scores.lexical_z.items():
        table.add_row(f"lexical z {metric}", str(ci))
    return table


def _ci(metric: dict | None) -> str:
    if not metric:
        return "-"
    return f"{metric['mean']:.3f} [{metric['low']:.3f}, {metric['high']:.3f}]"


def _programs_table(document: dict) -> Table:
    rows = document["programs"]
    table = Table(title=f"{document['source']} {document['split']}: {len(document['tasks'])} tasks x {document['n']} personas")
    table.add_column("metric")
    for row in rows:
        table.add_column(Path(row["program"]).name, overflow="fold")

    def line(label: str, values: list[str]) -> None:
        table.add_row(label, *values)

    line("status", [r["status"] + (f" ({r['error'][:60]})" if r["error"] else "") for r in rows])
    for key in ("human_likeness", "coverage", "task_preservation", "score"):
        line(key, [f"{r['objectives'][key]:.3f}" if r["objectives"] else "-" for r in rows])
    kinds = sorted({k for r in rows for k in r["metrics"].get("p_human", {})})
    for kind in kinds:
        line(f"P(human) {kind}", [_ci(r["metrics"].get("p_human", {}).get(kind)) for r in rows])
    for space in ("zscore", "raw"):
        line(f"coverage {space}", [_ci(r["metrics"].get("coverage", {}).get(space)) for r in rows])
    for group in ("D1", "D2", "D3", "D4", "overall"):
        line(f"Dice {group}", [f"{r['metrics']['dice'][group]:.3f}" if r["metrics"].get("dice") else "-" for r in rows])
    lexical = sorted({k for r in rows for k in r["metrics"].get("lexical_z", {})})
    for name in lexical:
        line(f"lexical z {name}", [_ci(r["metrics"].get("lexical_z", {}).get(name)) for r in rows])
    line("user turns / episode", [f"{r['turns_per_episode']:.1f}" if r["turns_per_episode"] else "-" for r in rows])
    line("LLM calls", [str(r["llm_calls"]) for r in rows])
    line("cost", [f"${r['cost_usd']:.4f}" for r in rows])
    return table


def score(
    program: Annotated[Path | None, typer.Option("--program", help="a generator program (path or bundled name)")] = None,
    compare: Annotated[
        list[Path] | None, typer.Option("--compare", help="more programs scored side by side on the same tasks")
    ] = None,
    domain: str = typer.Option("retail", "--domain", "-d", help="a τ² domain or a tasks file"),
    split: str = typer.Option("train", "--split", "-s", help="train, test or all"),
    n: int = typer.Option(5, "--n", min=1, help="personas per task"),
    max_tasks: int | None = typer.Option(5, "--max-tasks", min=1, help="first K tasks of the split"),
    seed: int = typer.Option(0, "--seed"),
    model: str | None = typer.Option(None, "--model", help="litellm model for every role (default: offline)"),
    overrides: list[str] = typer.Option([], "--set", help="config override section.key=value (repeatable)"),
    work_dir: Path = typer.Option(Path(".evopersona-score"), "--work-dir", help="where the fitness reference is kept"),
    dialogues: Annotated[
        Path | None,
        typer.Option("--dialogues", help="transcripts (JSONL or JSON: human-corpus turns, chat messages, τ/τ² results)")
    ] = None,
    population: int = typer.Option(10, "--population", min=1, help="dialogues per population for coverage"),
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="folder of a saved fitness reference; fitted and saved there if absent"),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Score dialogues against the human reference corpora."""
    if program is not None and dialogues is not None:
        raise InputError("give either --program or --dialogues, not both")
    if program is not None:
        _score_programs([program, *(compare or [])], domain, split, n, max_tasks, seed, model, overrides, work_dir, as_json)
        return
    if compare:
        raise InputError("--compare needs --program")
    if dialogues is None:
        raise InputError("nothing to score: give --program FILE.py or --dialogues FILE.jsonl")
    from evopersona.fitness.dialogues_score import score_dialogues
    from evopersona.fitness.transcripts import load_user_sides

    user_sides = load_user_sides(dialogues)
    ref = _reference_for_dialogues(reference)
    scores = score_dialogues(user_sides, ref, population)
    if as_json:
        emit_json(scores)
        return
    out_console.print(_table(scores))
    _print_negatives(scores.negatives)


def _reference_for_dialogues(folder: Path | None) -> FitnessReference:
    """The reference in `folder`, else the default one from the user cache (fitted there on first use)."""
    from evopersona.evaluation.reference import default_reference
    from evopersona.evaluation.reference_cache import default_reference_folder, publish

    target = folder or default_reference_folder()
    if (target / "reference.json").is_file():
        err_console.print(f"loading the fitness reference from {target}", highlight=False)
        return default_reference(target)
    err_console.print(f"fitting the default fitness reference into {target} (the default offline run's baseline "
                      "episodes, then three discriminators; one to two minutes, once)...", highlight=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        reference = default_reference(scratch)
        publish(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return reference


def _print_negatives(negatives: list[NegativeKind]) -> None:
    for negative in negatives:
        err_console.print(f"negatives: {negative.kind} {negative.n} dialogues (weight {negative.weight_share:.0%}): "
                          f"{negative.source}", highlight=False)


def _score_programs(programs: list[Path], domain: str, split: str, n: int, max_tasks: int | None, seed: int,
                    model: str | None, overrides: list[str], work_dir: Path, as_json: bool) -> None:
    from evopersona.evaluation.score_programs import score_config, score_programs
    from evopersona.fitness.reference import ReferenceMeta

    flags = [*overrides, *([f"llm.model={model}"] if model else [])]
    config = score_config(domain, split, n, max_tasks, seed, flags, work_dir)
    document = score_programs([str(p) for p in programs], config, err_console)
    meta = ReferenceMeta.model_validate_json((Path(document["reference"]) / "reference.json").read_text(encoding="utf-8"))
    document["negatives"] = [n.model_dump() for n in meta.negatives]
    if as_json:
        emit_json(document)
        return
    out_console.print(_programs_table(document))
    _print_negatives(meta.negatives)


def register(app: typer.Typer) -> None:
    app.command("score")(guarded(score))
