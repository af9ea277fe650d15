"""`evopersona score`: fitness figures for dialogues.

`--dialogues FILE.jsonl` scores a file in the human-corpus schema: P(human) from each discriminator,
coverage of the human train cloud, Dice D1–D4 and lexical z-scores, each mean with a 95% CI. Other
modes (a program, a comparison) are further options of the same command.
"""

from __future__ import annotations

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


def _table(scores: DialogueScores) -> Table:
    table = Table(title=f"{scores.n_dialogues} dialogues (coverage per {scores.population_size})")
    table.add_column("metric")
    table.add_column("mean [95% CI]")
    for kind, ci in scores.p_human.items():
        report = scores.discriminators.get(kind, {})
        table.add_row(f"P(human) {kind} (cv AUC {report.get('cv_roc_auc', float('nan')):.3f})", str(ci))
    for space, ci in scores.coverage.items():
        table.add_row(f"coverage ({space})", str(ci))
    for group, value in scores.dice.items():
        table.add_row(f"Dice {group}", f"{value:.3f}")
    for metric, ci in scores.lexical_z.items():
        table.add_row(f"lexical z {metric}", str(ci))
    return table


def score(
    dialogues: Annotated[
        Path | None, typer.Option("--dialogues", help="JSONL file of dialogues in the human-corpus schema")
    ] = None,
    population: int = typer.Option(10, "--population", min=1, help="dialogues per population for coverage"),
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="folder of a saved fitness reference; fitted and saved there if absent"),
    ] = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Score dialogues against the human reference corpora."""
    from evopersona.humans import load_dialogues_file

    if dialogues is None:
        raise InputError("nothing to score: give --dialogues FILE.jsonl")
    user_sides = [d.user_turns() for d in load_dialogues_file(dialogues)]

    from evopersona.config import FitnessConfig
    from evopersona.fitness.dialogues_score import default_reference, score_dialogues

    err_console.print("fitting the fitness reference..." if reference is None or not (reference / "reference.json").is_file()
                      else f"loading the fitness reference from {reference}")
    ref = default_reference(FitnessConfig(), reference)
    scores = score_dialogues(user_sides, ref, population)
    if as_json:
        emit_json(scores)
        return
    out_console.print(_table(scores))
    err_console.print(f"negatives: {scores.negatives}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("score")(guarded(score))
