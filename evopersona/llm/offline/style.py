"""How cues reshape a drafted user turn: casing, typos, length, hedges, interjections.

Facts are protected spans: lowercasing, typos and truncation never touch names, ids, emails,
zip codes or any other number, so a styled turn states exactly the facts its draft stated.
"""

from __future__ import annotations

import random
import re

from evopersona.llm.offline import cues as C
from evopersona.llm.offline.text import PROTECTED


class Style:
    """The active cues of one persona policy and how strongly each is present."""

    def __init__(self, strengths: dict[str, int], protected_words: set[str]) -> None:
        self.strengths = strengths
        self.protected_words = protected_words
        self.human = any(name != "formal" for name in strengths)
        self.formal = "formal" in strengths or not self.human

    def on(self, name: str) -> bool:
        return name in self.strengths

    def chance(self, name: str, base: float = 0.35) -> float:
        """Probability that a cue fires on a turn: more trigger hits, more often."""
        hits = self.strengths.get(name, 0)
        return 0.0 if hits == 0 else min(0.9, base * (1.0 + 0.5 * (hits - 1)))

    def fires(self, name: str, rng: random.Random, base: float = 0.35) -> bool:
        return rng.random() < self.chance(name, base)


def _protected_spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    spans = [m.span() for m in PROTECTED.finditer(text)]
    for word in words:
        spans += [m.span() for m in re.finditer(re.escape(word), text)]
    return spans


def _inside(pos: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a < pos[1] and pos[0] < b for a, b in spans)


def lowercase(text: str, words: set[str]) -> str:
    spans = _protected_spans(text, words)
    return "".join(ch if _inside((i, i + 1), spans) else ch.lower() for i, ch in enumerate(text))


def add_typo(text: str, words: set[str], rng: random.Random) -> str:
    spans = _protected_spans(text, words)
    candidates = [m for m in re.finditer(r"[A-Za-z]{4,}", text) if not _inside(m.span(), spans)]
    if not candidates:
        return text
    match = rng.choice(candidates)
    word = match.group(0)
    i = rng.randrange(1, len(word) - 2)
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return text[: match.start()] + swapped + text[match.end():]


def shorten(text: str, max_words: int, words: set[str]) -> str:
    """Keep the first `max_words` words, but never stop before a protected span ends."""
    tokens = text.split()
    if len(tokens) <= max_words:
        return text
    kept = tokens[:max_words]
    rest = tokens[max_words:]
    spans = _protected_spans(" ".join(rest), words)
    if spans and spans[0][0] == 0:
        kept.append(rest[0])
    return " ".join(kept).rstrip(",;:")


def finish_human(text: str, style: Style, rng: random.Random) -> str:
    """Casing, punctuation and typos of a human turn; the last step before sending."""
    if style.on("lowercase") or rng.random() < 0.3:
        text = lowercase(text, style.protected_words)
    if style.fires("typos", rng, 0.5):
        text = add_typo(text, style.protected_words, rng)
    if rng.random() < 0.6:
        text = text.rstrip(".")
    return text


def formal_wrap(body: list[str], rng: random.Random, opener: bool) -> str:
    """The cooperative-simulator voice: full sentences, connectives, thanks."""
    parts: list[str] = [rng.choice(C.FORMAL_OPENERS)] if opener else []
    for i, sentence in enumerate(body):
        if i > 0 and rng.random() < 0.6:
            head = sentence if sentence.split()[0] in ("I", "I'm", "I'd") else sentence[:1].lower() + sentence[1:]
            sentence = f"{rng.choice(C.FORMAL_CONNECTIVES)} {head}"
        parts.append(sentence if sentence.endswith((".", "!", "?")) else sentence + ".")
    parts.append(rng.choice(C.FORMAL_THANKS))
    return " ".join(parts)
