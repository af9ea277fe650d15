"""The 19-feature behavioural fingerprint of the user side of a dialogue (method.md §1.6).

Why vectorised: fitness scores thousands of episodes per evaluation and bench/ scores 10k dialogues.
All turns of all dialogues are joined by newlines (patterns never cross a newline; newlines inside
a turn become spaces) and scanned once for the positions where any bank phrase starts; each bank
then only tries those positions. Per-dialogue aggregation is numpy `bincount` over turn indices,
and repeated trigrams are counted with `np.unique` over 64-bit keys. Per-turn work is done once per
distinct turn text. Pattern banks are data in `banks.py`. bench/fitness.py compares it with the
paper's per-dialogue extractor.
"""

from __future__ import annotations

import re
from itertools import chain

import numpy as np

from evopersona.fitness import banks

FEATURE_NAMES: list[str] = [
    "words_per_turn", "short_utterance_rate", "politeness_rate", "formality_rate",
    "acknowledgment_rate", "verbosity_cv", "repetition_rate", "identity_confusion_rate",
    "front_loading_ratio", "identifiers_per_turn", "opening_length",
    "uncertainty_rate", "certainty_rate", "pushback_rate", "clarification_question_rate", "info_seeking_rate",
    "emotional_expression_rate", "accusatory_rate", "strategy_pivot_rate",
]
GROUPS: dict[str, list[str]] = {
    "D1": FEATURE_NAMES[0:8],
    "D2": FEATURE_NAMES[8:11],
    "D3": FEATURE_NAMES[11:16],
    "D4": FEATURE_NAMES[16:19],
}
N_FEATURES = len(FEATURE_NAMES)
_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}

_SPACE = r"[^\S\n]+"
_TOKEN = re.compile(r"\w+")  # same matches as \b\w+\b: a greedy \w+ run starts and ends at word boundaries
_SHORT_MAX_TOKENS = 3
_REPEAT_MIN_COUNT = 4


def _spaced(fragment: str) -> str:
    return fragment.replace(" ", _SPACE)


def _worded(fragments: list[str]) -> list[str]:
    return [_spaced(f[2:]) for f in fragments if f.startswith(r"\b")]


class _Bank:
    """A compiled bank: its word-initial fragments (tried only at candidate positions) and the rest.

    Why: scanning text is the cost. One lookahead scan finds every position where a fragment of any
    bank starts at a word boundary; each bank then only tries `match` there. Fragments that do not
    start at a word boundary (punctuation, line anchors) get a scan of their own."""

    def __init__(self, fragments: list[str]) -> None:
        worded = _worded(fragments)
        self.worded = re.compile("(?:" + "|".join(worded) + ")", re.MULTILINE) if worded else None
        self.others = [re.compile(_spaced(f), re.MULTILINE) for f in fragments if not f.startswith(r"\b")]


_BANKS = {name: _Bank(bank) for name, bank in banks.RATE_BANKS.items()}


def _candidate_regex(fragments: list[str]) -> re.Pattern[str]:
    """`\\b(?=any fragment)`, with fragments grouped by a literal first letter so that a position
    is rejected after a few character tests instead of trying every fragment in turn."""
    by_letter: dict[str, list[str]] = {}
    rest: list[str] = []
    for f in fragments:
        if re.match(r"[a-z0-9](?![?*+{])", f):
            by_letter.setdefault(f[0], []).append(f[1:])
        else:
            rest.append(f)
    alternatives = [f"{c}(?:{'|'.join(tails)})" for c, tails in sorted(by_letter.items())] + rest
    return re.compile(r"\b(?=(?:" + "|".join(alternatives) + "))", re.MULTILINE)


_CANDIDATES = _candidate_regex([f for bank in banks.RATE_BANKS.values() for f in _worded(bank)])
_ACK_REGEX = re.compile(
    "^(?:" + "|".join(re.escape(a) for a in banks.ACKNOWLEDGMENTS) + ")[.!,]*$", re.MULTILINE
)
_ID_REGEX = re.compile(banks.IDENTIFIER)


def _starts(regex: re.Pattern[str], text: str) -> np.ndarray:
    return np.fromiter((m.start() for m in regex.finditer(text)), dtype=np.int64)


class _Turns:
    """All non-empty user turns of a batch, flattened, with their dialogue index and offsets."""

    def __init__(self, dialogues: list[list[str]]) -> None:
        kept = [[t for t in d if t] for d in dialogues]
        self.n_dialogues = len(kept)
        self.counts = np.fromiter((len(d) for d in kept), dtype=np.int64, count=len(kept))
        self.texts = [t.replace("\n", " ") for t in chain.from_iterable(kept)]
        self.lower = [t.lower() for t in self.texts]
        self.n = len(self.texts)
        self.dialogue = np.repeat(np.arange(self.n_dialogues), self.counts)
        self.first = np.cumsum(self.counts) - self.counts
        self.position = np.arange(self.n) - np.repeat(self.first, self.counts)

    def per_turn(self, texts: list[str], regexes: list[re.Pattern[str]]) -> tuple[str, np.ndarray, np.ndarray]:
        """The joined text, each turn's start offset, and per-turn match counts of the regexes."""
        joined = "\n".join(texts)
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        counts = np.zeros(self.n, dtype=np.int64)
        for regex in regexes:
            counts += self.count(starts, _starts(regex, joined))
        return joined, starts, counts

    def count(self, starts: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(starts, positions, side="right") - 1, minlength=self.n)

    def per_dialogue_mean(self, values: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.dialogue, weights=values.astype(float), minlength=self.n_dialogues)
        return np.divide(sums, self.counts, out=np.zeros(self.n_dialogues), where=self.counts > 0)


def _bank_hits(turns: _Turns) -> dict[str, np.ndarray]:
    """Per bank, per turn: does any fragment of the bank occur in the (lower-cased) turn?"""
    joined, starts, _ = turns.per_turn(turns.lower, [])
    candidates = _starts(_CANDIDATES, joined).tolist()
    out: dict[str, np.ndarray] = {}
    for name, bank in _BANKS.items():
        hit = np.zeros(turns.n, dtype=np.int64)
        if bank.worded is not None:
            matcher = bank.worded.match
            found = np.fromiter((p for p in candidates if matcher(joined, p)), dtype=np.int64)
            hit += turns.count(starts, found)
        for regex in bank.others:
            hit += turns.count(starts, _starts(regex, joined))
        out[name] = hit > 0
    return out


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def _trigram_keys(tokens: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Per turn, a 64-bit key for each of its token trigrams (flattened) and how many it has.

    Token ids are 64-bit string hashes mixed into one key per trigram: a collision among the ~1e6
    trigrams of 10k dialogues has probability ~1e-7, and it needs no vocabulary or sort."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    hashes = np.fromiter(map(hash, chain.from_iterable(tokens)), dtype=np.int64).view(np.uint64)
    token_turn = np.repeat(np.arange(len(tokens)), lengths)
    start = np.flatnonzero(token_turn[:-2] == token_turn[2:]) if hashes.size >= 3 else np.zeros(0, np.int64)
    keys = hashes[start] * _MIX[0] + hashes[start + 1] * _MIX[1] + hashes[start + 2] * _MIX[2]
    return keys, np.bincount(token_turn[start], minlength=len(tokens)) if start.size else np.zeros(len(tokens), np.int64)


def _repeated_trigram_turns(keys: np.ndarray, per_turn: np.ndarray, turns: _Turns, unique: np.ndarray) -> np.ndarray:
    """Per turn: does it contain a token trigram seen more than 3 times across its dialogue?

    `keys`/`per_turn` are the trigram keys of the distinct turn texts; `unique[i]` is turn i's text."""
    counts = per_turn[unique]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(turns.n, dtype=bool)
    offsets = np.cumsum(per_turn) - per_turn
    ends = np.cumsum(counts)
    gather = np.repeat(offsets[unique] - (ends - counts), counts) + np.arange(total)
    owner_turn = np.repeat(np.arange(turns.n), counts)
    owner = turns.dialogue[owner_turn].astype(np.uint64)
    key = keys[gather] ^ (owner * np.uint64(0xD6E8FEB86659FD93))
    _, inverse, repeats = np.unique(key, return_inverse=True, return_counts=True)
    repeated = repeats[inverse.ravel()] >= _REPEAT_MIN_COUNT
    return np.bincount(owner_turn, weights=repeated, minlength=turns.n) > 0


def fingerprint_many(dialogues: list[list[str]]) -> np.ndarray:
    """Fingerprints of many dialogues, each given as its list of user turns: array (n, 19).

    Every per-turn figure (tokens, bank hits, acknowledgment, identifiers) depends on the turn's
    text alone, so it is computed once per distinct text (simulators and templated personas repeat
    turns such as "Thank you!") and gathered back by index."""
    turns = _Turns(dialogues)
    out = np.zeros((turns.n_dialogues, N_FEATURES))
    if turns.n == 0:
        return out
    index: dict[str, int] = {}
    unique = np.fromiter((index.setdefault(t, len(index)) for t in turns.texts), dtype=np.int64, count=turns.n)
    distinct = _Turns([[t] for t in index])
    tokens = [_TOKEN.findall(t) for t in distinct.lower]
    length = np.fromiter((len(t) for t in tokens), dtype=np.float64, count=distinct.n)[unique]
    has = turns.counts > 0
    mean_len = turns.per_dialogue_mean(length)
    out[:, _INDEX["words_per_turn"]] = mean_len
    out[:, _INDEX["short_utterance_rate"]] = turns.per_dialogue_mean(length <= _SHORT_MAX_TOKENS)
    for name, hit in _bank_hits(distinct).items():
        out[:, _INDEX[name]] = turns.per_dialogue_mean(hit[unique])
    acks = distinct.per_turn([t.strip() for t in distinct.lower], [_ACK_REGEX])[2][unique]
    out[:, _INDEX["acknowledgment_rate"]] = turns.per_dialogue_mean(acks > 0)

    mean_sq = turns.per_dialogue_mean(length**2)
    std = np.sqrt(np.clip(mean_sq - mean_len**2, 0.0, None))
    cv_ok = (turns.counts > 1) & (mean_len > 0)
    out[:, _INDEX["verbosity_cv"]] = np.divide(std, mean_len, out=np.zeros_like(std), where=cv_ok)
    keys, per_turn = _trigram_keys(tokens)
    out[:, _INDEX["repetition_rate"]] = turns.per_dialogue_mean(_repeated_trigram_turns(keys, per_turn, turns, unique))

    total = np.bincount(turns.dialogue, weights=length, minlength=turns.n_dialogues)
    first_two = np.bincount(turns.dialogue, weights=length * (turns.position < 2), minlength=turns.n_dialogues)
    front = np.divide(first_two, total, out=np.zeros_like(total), where=total > 0)
    front[(turns.counts == 1) & (total > 0)] = 1.0
    out[:, _INDEX["front_loading_ratio"]] = front
    identifiers = distinct.per_turn(distinct.texts, [_ID_REGEX])[2][unique]
    out[:, _INDEX["identifiers_per_turn"]] = turns.per_dialogue_mean(identifiers)
    opening = np.zeros(turns.n_dialogues)
    opening[has] = length[turns.first[has]]
    out[:, _INDEX["opening_length"]] = opening
    return out


def fingerprint(turns: list[str]) -> dict[str, float]:
    """One dialogue's fingerprint as a name → value mapping (for reports and reflection prompts)."""
    return dict(zip(FEATURE_NAMES, fingerprint_many([turns])[0].tolist(), strict=True))
