"""Real human dialogues: the reference that human-likeness and coverage are measured against.

The bundled corpora live in `fitness/human/*.jsonl` (one dialogue per line). The train/test split is
fixed by seed and stratified by source, so a discriminator fitted on train never sees test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evopersona.errors import InputError
from evopersona.resources import human_corpus_dir

HUMAN_SOURCES = ("star", "multiwoz21", "sgd_services", "abcd_sample")


class HumanTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "agent"]
    text: str


class HumanDialogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    source: str
    domain: str = ""
    turns: list[HumanTurn] = Field(min_length=1)
    scenario: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    def user_turns(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "user" and t.text.strip()]


def load_dialogues_file(path: Path) -> list[HumanDialogue]:
    """Read a JSONL file in the human-corpus schema; a bad line is an error naming file, line and field."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    dialogues: list[HumanDialogue] = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                dialogues.append(HumanDialogue.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(line)"
                raise InputError(f"{path}: line {lineno}: field '{where}': {first['msg']}") from None
    if not dialogues:
        raise InputError(f"{path}: no dialogues in file")
    return dialogues


def load_human_corpus(sources: list[str] | tuple[str, ...] | None = None) -> list[HumanDialogue]:
    """The bundled human corpora (all of them by default), dialogues with at least two user turns."""
    chosen = list(sources or HUMAN_SOURCES)
    unknown = sorted(set(chosen) - set(HUMAN_SOURCES))
    if unknown:
        raise InputError(f"unknown human corpus {unknown}: choose from {list(HUMAN_SOURCES)}")
    folder = human_corpus_dir()
    out: list[HumanDialogue] = []
    for source in chosen:
        out += [d for d in load_dialogues_file(folder / f"{source}.jsonl") if len(d.user_turns()) >= 2]
    return out


def _rank(dialogue_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{dialogue_id}".encode()).hexdigest()


def split_humans(
    dialogues: list[HumanDialogue], test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[HumanDialogue], list[HumanDialogue]]:
    """A deterministic split by seed, stratified by source; independent of file order."""
    if not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be in (0, 1), got {test_fraction}")
    train: list[HumanDialogue] = []
    test: list[HumanDialogue] = []
    by_source: dict[str, list[HumanDialogue]] = {}
    for d in dialogues:
        by_source.setdefault(d.source, []).append(d)
    for group in by_source.values():
        ordered = sorted(group, key=lambda d: _rank(d.id, seed))
        n_test = round(len(ordered) * test_fraction)
        test += ordered[:n_test]
        train += ordered[n_test:]
    key = lambda d: d.id  # noqa: E731
    return sorted(train, key=key), sorted(test, key=key)


def dump_dialogues(dialogues: list[HumanDialogue], path: Path) -> None:
    path.write_text("".join(json.dumps(d.model_dump(mode="json")) + "\n" for d in dialogues), encoding="utf-8")
