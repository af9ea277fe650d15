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

_H = r"[^\S\n]"  # horizontal space: patterns never cross from one turn to the next
# Every pattern starts with a literal or a small character class, so the scan skips most positions.
_MARKDOWN = re.compile(rf"\*\*|__|`|(?<!\S)#{{1,6}}{_H}|(?<!\S)[-*•]{_H}+\w")
_ENUMERATION = re.compile(
    rf"(?<!\S)\(?(?:\d{{1,2}}|[a-e])[.)]{_H}+[A-Za-z]|(?<![\w])(?:[Ff]irst(?:ly)?|[Ss]econd(?:ly)?|[Tt]hird(?:ly)?|"
    r"[Ll]astly|[Ff]inally),|,[^,.!?\n]{1,40}, (?:and|or) "
)
_SENTENCE_END = re.compile(rf"[.!?]+(?={_H}+[A-Z\"'(]|{_H}*$)", re.MULTILINE)
_LOWER_I = re.compile(rf"(?<!\S)i(?:'\w+)?(?={_H}|$|[,.!?])", re.MULTILINE)
_FACT = re.compile(r"\b(?:\d[\d:/.,-]*\d|\d)\b|\b[A-Z]{2,}\d*\b|[^\s@]+@\S+")
_TOKEN = re.compile(r"[a-z]+|\n")
POLITE_WORDS = frozenset("please thank thanks appreciate appreciated kindly grateful wonderful certainly "
                         "absolutely great perfect glad happy sorry".split())
# Service-register words LLMs overuse when they write as a customer ("assist", "ensure", "regarding").
FORMAL_WORDS = frozenset("assist assistance ensure additionally furthermore moreover regarding proceed accordingly "
                         "clarify clarification verify provide provided specific currently however therefore "
                         "understanding patience utilize indeed appropriate require requested request inquire "
                         "inquiry confirm confirmation details information".split())
_LONG_WORD = 8
_COMPLETE_START = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ\"'(")
_ENDINGS = {".": 0, "!": 1, "?": 2}


def _ending(turn: str) -> int:
    """0-2 for a turn ending in . ! ? (after a closing quote or bracket), 3 for anything else."""
    return _ENDINGS.get(turn.rstrip("\"')")[-1:], 3)


class _TurnCounts:
    """Per-turn match counts of a regex over all turns joined by newlines (one scan for the batch)."""

    def __init__(self, turns: list[str]) -> None:
        self.joined = "\n".join(turns)
        self.starts = np.cumsum([0] + [len(t) + 1 for t in turns[:-1]])
        self.n = len(turns)

    def __call__(self, regex: re.Pattern[str]) -> np.ndarray:
        positions = np.fromiter((m.start() for m in regex.finditer(self.joined)), dtype=np.int64)
        return np.bincount(np.searchsorted(self.starts, positions, side="right") - 1, minlength=self.n)

    def words(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per turn: words, polite words, service-register words and long words (one tokenising pass)."""
        tokens = _TOKEN.findall(self.joined.lower())
        turn = np.cumsum(np.fromiter((t == "\n" for t in tokens), dtype=np.int64, count=len(tokens)))
        word = np.fromiter((t != "\n" for t in tokens), dtype=bool, count=len(tokens))
        polite = np.fromiter((t in POLITE_WORDS for t in tokens), dtype=bool, count=len(tokens))
        formal = np.fromiter((t in FORMAL_WORDS for t in tokens), dtype=bool, count=len(tokens))
        long = np.fromiter((len(t) >= _LONG_WORD for t in tokens), dtype=bool, count=len(tokens))
        return tuple(np.bincount(turn, weights=x, minlength=self.n) for x in (word, polite, formal, long))


def _per_turn(turns: list[str]) -> np.ndarray:
    """Per distinct turn: the counts the dialogue features are made of (columns as in `_COLUMNS`)."""
    count = _TurnCounts(turns)
    complete = [t[:1] in _COMPLETE_START and _ending(t) < 3 for t in turns]
    words, polite, formal, long = count.words()
    return np.column_stack([
        count(_MARKDOWN) > 0, count(_ENUMERATION) > 0, complete, [t[:1].islower() for t in turns],
        count(_LOWER_I) > 0, np.maximum(1, count(_SENTENCE_END)), polite, formal,
        [t.count(",") for t in turns], long, ["!" in t for t in turns], words, [_ending(t) for t in turns],
    ]).astype(np.float64)


_COLUMNS = ["markdown", "enumeration", "complete", "lower_start", "lower_i", "sentences", "polite", "formal",
            "commas", "long", "exclamation", "words", "ending"]
_C = {name: i for i, name in enumerate(_COLUMNS)}


def giveaways_many(dialogues: list[list[str]]) -> np.ndarray:
    """Giveaway features of many dialogues: array (n, len(GIVEAWAY_NAMES)); all zero for no turn.

    Per-turn counts are computed once per distinct turn text with one regex scan per pattern over
    the batch, then aggregated per dialogue with `bincount`."""
    kept = [[t.replace("\n", " ").strip() for t in d if t and t.strip()] for d in dialogues]
    counts = np.fromiter((len(d) for d in kept), dtype=np.int64, count=len(kept))
    out = np.zeros((len(kept), N_GIVEAWAYS))
    if counts.sum() == 0:
        return out
    index: dict[str, int] = {}
    unique = np.fromiter((index.setdefault(t, len(index)) for d in kept for t in d), dtype=np.int64)
    rows = _per_turn(list(index))[unique]
    dialogue = np.repeat(np.arange(len(kept)), counts)
    turns = np.maximum(counts, 1)

    def total(column: str) -> np.ndarray:
        return np.bincount(dialogue, weights=rows[:, _C[column]], minlength=len(kept))

    words = np.maximum(total("words"), 1)
    for name, column in (("markdown_rate", "markdown"), ("enumeration_rate", "enumeration"),
                         ("complete_sentence_rate", "complete"), ("lowercase_start_rate", "lower_start"),
                         ("lowercase_i_rate", "lower_i"), ("sentences_per_turn", "sentences"),
                         ("exclamation_rate", "exclamation")):
        out[:, GIVEAWAY_NAMES.index(name)] = total(column) / turns
    for name, column in (("polite_per_word", "polite"), ("formal_per_word", "formal"),
                         ("commas_per_word", "commas"), ("long_word_share", "long")):
        out[:, GIVEAWAY_NAMES.index(name)] = total(column) / words
    endings = np.bincount(dialogue * 4 + rows[:, _C["ending"]].astype(np.int64), minlength=4 * len(kept))
    out[:, GIVEAWAY_NAMES.index("ending_uniformity")] = endings.reshape(-1, 4).max(axis=1) / turns
    first = (np.cumsum(counts) - counts)[counts > 0]
    out[counts > 0, GIVEAWAY_NAMES.index("opening_sentences")] = rows[first, _C["sentences"]]
    openings = [d[0] for d in kept if d]
    out[counts > 0, GIVEAWAY_NAMES.index("opening_facts")] = _TurnCounts(openings)(_FACT)
    out[counts == 0] = 0.0
    return out


def giveaways_of(turns: list[str]) -> list[float]:
    """The giveaway features of one dialogue's user turns (all zero for no turn)."""
    return giveaways_many([turns])[0].tolist()
