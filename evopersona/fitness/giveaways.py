"""Features that give a real LLM user simulator away and the 19-feature fingerprint misses.

The fingerprint measures behaviour (length, politeness as a yes/no per turn, front-loading); real
simulators (gpt-4.1 / gpt-4o playing τ²-bench customers) also give themselves away by form:
markdown and enumerations, every turn a complete capitalised sentence ending in punctuation, several
sentences per turn with every fact of the opening at once, politeness, service-register vocabulary
and comma density per word, long words, the same turn ending every time (unnatural consistency), and never a lower-case
"i" or an unfinished turn. None of these is tuned to the bundled dialogues: each is a property
written down before looking at them (see tests/fitness/test_giveaways.py for one case per feature).
They enter the `combined` discriminator; the paper's `forest` keeps its 19 features.
"""

from __future__ import annotations

import re

import numpy as np

GIVEAWAY_NAMES: list[str] = [
    "markdown_rate", "enumeration_rate", "complete_sentence_rate", "lowercase_start_rate",
    "lowercase_i_rate", "sentences_per_turn", "polite_per_word", "formal_per_word", "commas_per_word", "long_word_share",
    "exclamation_rate", "ending_uniformity", "opening_sentences", "opening_facts",
]
N_GIVEAWAYS = len(GIVEAWAY_NAMES)

_MARKDOWN = re.compile(r"\*\*|__|`|^\s*#{1,6}\s|(?:^|\s)[-*•]\s+\w", re.MULTILINE)
_ENUMERATION = re.compile(
    r"(?:^|\s)\(?(?:\d{1,2}|[a-e])[.)]\s+[A-Za-z]|\b(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|lastly|finally),"
    r"|\w+, [\w' -]+, and \w+", re.IGNORECASE,
)
_COMPLETE = re.compile(r"^[A-Z\"'(].*[.!?][\"')]?$", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s+[A-Z\"'(]|\s*$)")
_LOWER_I = re.compile(r"(?:^|\s)i(?:'\w+)?(?=\s|$|[,.!?])")
_POLITE = re.compile(r"\b(?:please|thank|thanks|appreciate|appreciated|kindly|grateful|wonderful|"
                     r"certainly|absolutely|great|perfect|glad|happy to|sorry)\b", re.IGNORECASE)
# Service-register words LLMs overuse when they write as a customer ("assist", "ensure", "regarding").
_FORMAL = re.compile(r"\b(?:assist|assistance|ensure|additionally|furthermore|moreover|regarding|proceed|"
                     r"accordingly|clarify|clarification|verify|provide|provided|specific|currently|however|"
                     r"therefore|understanding|patience|utilize|indeed|appropriate|require|requested|request|"
                     r"inquire|inquiry|assistance|confirm|confirmation|details|information)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
_FACT = re.compile(r"\b(?:\d[\d:/.,-]*\d|\d)\b|\b[A-Z]{2,}\d*\b|\S+@\S+")
_LONG_WORD = 8


def _ending(turn: str) -> str:
    last = turn.rstrip()[-1:]
    return last if last in ".!?" else "w"


def _sentences(turn: str) -> int:
    return max(1, len(_SENTENCE_END.findall(turn)))


def giveaways_of(turns: list[str]) -> list[float]:
    """The giveaway features of one dialogue's user turns (all zero for no turn)."""
    turns = [t.replace("\n", " ").strip() for t in turns if t and t.strip()]
    if not turns:
        return [0.0] * N_GIVEAWAYS
    n = len(turns)
    words = [_WORD.findall(t) for t in turns]
    n_words = max(1, sum(len(w) for w in words))
    endings = [_ending(t) for t in turns]
    return [
        sum(bool(_MARKDOWN.search(t)) for t in turns) / n,
        sum(bool(_ENUMERATION.search(t)) for t in turns) / n,
        sum(bool(_COMPLETE.match(t)) for t in turns) / n,
        sum(t[0].islower() for t in turns) / n,
        sum(bool(_LOWER_I.search(t)) for t in turns) / n,
        sum(_sentences(t) for t in turns) / n,
        sum(len(_POLITE.findall(t)) for t in turns) / n_words,
        sum(len(_FORMAL.findall(t)) for t in turns) / n_words,
        sum(t.count(",") for t in turns) / n_words,
        sum(len(x) >= _LONG_WORD for w in words for x in w) / n_words,
        sum("!" in t for t in turns) / n,
        max(endings.count(e) for e in set(endings)) / n,
        float(_sentences(turns[0])),
        float(len(_FACT.findall(turns[0]))),
    ]


def giveaways_many(dialogues: list[list[str]]) -> np.ndarray:
    """Giveaway features of many dialogues: array (n, len(GIVEAWAY_NAMES))."""
    out = np.zeros((len(dialogues), N_GIVEAWAYS))
    for i, turns in enumerate(dialogues):
        out[i] = giveaways_of(turns)
    return out
