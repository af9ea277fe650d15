"""Shared fixtures: the human split, and the default reference (the one `score --dialogues` uses without
`--reference`), fitted once per session."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evopersona.evaluation.reference import default_reference
from evopersona.fitness.reference import FitnessReference
from evopersona.humans import load_human_corpus, split_humans

ASSISTANT_WORDS = ["Certainly", "I", "would", "be", "happy", "to", "assist", "you", "with", "this", "request", "Thank", "you", "for", "your", "patience", "I", "appreciate", "your", "understanding", "Could", "you", "kindly", "confirm", "the", "details", "so", "that", "I", "may", "proceed", "accordingly", "Furthermore", "I", "would", "like", "to", "ensure", "that", "everything", "is", "handled", "properly", "Please", "let", "me", "know", "whether", "there", "is", "anything", "else", "I", "can", "help", "you", "with", "today", "I", "truly", "appreciate", "your", "assistance", "and", "look", "forward", "to", "your", "response", "Additionally", "I", "wanted", "to", "kindly", "verify", "the", "information", "regarding", "my", "request", "to", "ensure", "accuracy"]


def assistant_style_like(dialogues: list[list[str]], seed: int = 0) -> list[list[str]]:
    """Same number of turns and words per turn as `dialogues`, in polite formal assistant wording."""
    rng = random.Random(seed)
    out = []
    for turns in dialogues:
        new = []
        for turn in turns:
            n = max(1, len(turn.split()))
            start = rng.randrange(len(ASSISTANT_WORDS))
            words = [ASSISTANT_WORDS[(start + i) % len(ASSISTANT_WORDS)] for i in range(n)]
            text = " ".join(words)
            new.append(text[0].upper() + text[1:] + ".")
        out.append(new)
    return out


@pytest.fixture(scope="session")
def assistant_style():
    return assistant_style_like


@pytest.fixture(scope="session")
def human_split() -> tuple[list[list[str]], list[list[str]]]:
    train, test = split_humans(load_human_corpus(), 0.2, seed=0)
    return [d.user_turns() for d in train], [d.user_turns() for d in test]


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reference")
    default_reference(folder)
    return folder


@pytest.fixture(scope="session")
def reference(reference_dir: Path) -> FitnessReference:
    return FitnessReference.load(reference_dir)
