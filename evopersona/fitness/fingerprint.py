"""The 19-feature behavioural fingerprint of the user side of a dialogue (method.md §1.6).

Why vectorised: fitness scores thousands of episodes per evaluation and bench/ scores 10k dialogues.
All turns of a batch become one text, tokenised with numpy (`turn_text.py`); each pattern bank runs
its regex only at the token starts where one of its phrases can begin (`bank_scan.py`); turns that
could hold an acknowledgment or an identifier are picked from token counts and a cheap scan before
their regex runs. Per-dialogue aggregation is numpy `bincount` over turn indices, and repeated
trigrams are counted with `np.unique` over 64-bit keys. No work is shared between turns of equal
text, so the cost follows the amount of text. Pattern banks are data in `banks.py`.
bench/fitness.py compares it with the paper's per-dialogue extractor, and
tests/fitness/test_fingerprint_reference.py with a per-turn `re` computation.
"""

from __future__ import annotations

import re

import numpy as np

from evopersona.fitness import banks
from evopersona.fitness.bank_scan import BankScanner
from evopersona.fitness.turn_text import TurnText, char_class, code_points

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

_TOKEN = re.compile(r"\w+")  # same matches as \b\w+\b: a greedy \w+ run starts and ends at word boundaries
_SHORT_MAX_TOKENS = 3
_REPEAT_MIN_COUNT = 4

_BANKS = BankScanner(banks.RATE_BANKS)
_ACK_REGEX = re.compile("(?:" + "|".join(re.escape(a) for a in banks.ACKNOWLEDGMENTS) + ")[.!,]*")
# A turn that is an acknowledgment has as many tokens as the acknowledgment (`[.!,]` adds none).
_ACK_TOKENS = sorted({len(_TOKEN.findall(a)) for a in banks.ACKNOWLEDGMENTS})
_ID_REGEX = re.compile(banks.IDENTIFIER)
# Every match of banks.IDENTIFIER holds an `@` (e-mail) or five characters of [A-Z0-9\d] in a row
# (`#[A-Z0-9]{5,}`, `[A-Z0-9]{6,}`, `\b\d{7,}\b`): only turns with one are searched.
_ID_RUN_CHAR = re.compile(r"[A-Z0-9\d]")
_ID_RUN = 5


class _Dialogues:
    """Which dialogue each non-empty turn belongs to, and its position in it."""

    def __init__(self, dialogues: list[list[str]]) -> None:
        kept = [[t for t in d if t] for d in dialogues]
        self.n = len(kept)
        self.counts = np.fromiter(map(len, kept), dtype=np.int64, count=self.n)
        self.turns = [t for d in kept for t in d]
        self.of_turn = np.repeat(np.arange(self.n), self.counts)
        self.first = np.cumsum(self.counts) - self.counts
        self.position = np.arange(len(self.turns)) - np.repeat(self.first, self.counts)

    def mean(self, values: np.ndarray) -> np.ndarray:
        sums = np.bincount(self.of_turn, weights=values.astype(float), minlength=self.n)
        return np.divide(sums, self.counts, out=np.zeros(self.n), where=self.counts > 0)


def _acknowledgments(text: TurnText) -> np.ndarray:
    """Per turn: is the whole stripped, lower-cased turn an acknowledgment?"""
    out = np.zeros(text.n, dtype=bool)
    short = np.flatnonzero(np.isin(text.tokens_per_turn, _ACK_TOKENS))
    ends = np.r_[text.lower_starts[1:] - 1, len(text.lower)]
    fullmatch, lower = _ACK_REGEX.fullmatch, text.lower
    out[short] = np.fromiter((fullmatch(lower[a:b].strip()) is not None
                              for a, b in zip(text.lower_starts[short].tolist(), ends[short].tolist(), strict=True)),
                             dtype=bool, count=short.size)
    return out


def _identifiers(text: TurnText) -> np.ndarray:
    """Per turn: how many identifiers (order numbers, e-mails...) the original-case turn holds."""
    codes = code_points(text.text)
    run = char_class(codes, _ID_RUN_CHAR)
    for _ in range(1, _ID_RUN):
        run = run[:-1] & run[1:]
    guarded = np.unique(text.turn_of(np.r_[np.flatnonzero(run), np.flatnonzero(codes == ord("@"))]))
    ends = np.r_[text.starts[1:] - 1, len(text.text)]
    count = np.zeros(text.n)
    findall, original = _ID_REGEX.findall, text.text
    count[guarded] = [len(findall(original, a, b)) for a, b in zip(text.starts[guarded].tolist(), ends[guarded].tolist(), strict=True)]
    return count


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
_DIALOGUE_MIX = np.uint64(0xD6E8FEB86659FD93)


def _repeated_trigram_turns(text: TurnText, dialogues: _Dialogues) -> np.ndarray:
    """Per turn: does it contain a token trigram seen more than 3 times across its dialogue?

    A trigram's key mixes its three token hashes and its dialogue: a collision among the ~1e6
    trigrams of 10k dialogues has probability ~1e-7, and it needs no vocabulary."""
    turn = text.token_turn
    start = np.flatnonzero(turn[:-2] == turn[2:]) if turn.size >= 3 else np.zeros(0, np.int64)
    if start.size == 0:
        return np.zeros(text.n, dtype=bool)
    h = text.token_hash
    owner = dialogues.of_turn[turn[start]].astype(np.uint64)
    key = (h[start] * _MIX[0] + h[start + 1] * _MIX[1] + h[start + 2] * _MIX[2]) ^ (owner * _DIALOGUE_MIX)
    _, inverse, repeats = np.unique(key, return_inverse=True, return_counts=True)
    repeated = repeats[inverse.ravel()] >= _REPEAT_MIN_COUNT
    out = np.zeros(text.n, dtype=bool)
    out[turn[start[repeated]]] = True
    return out


def fingerprint_many(dialogues: list[list[str]]) -> np.ndarray:
    """Fingerprints of many dialogues, each given as its list of user turns: array (n, 19)."""
    d = _Dialogues(dialogues)
    out = np.zeros((d.n, N_FEATURES))
    if not d.turns:
        return out
    text = TurnText(d.turns)
    length = text.tokens_per_turn.astype(np.float64)
    mean_len = d.mean(length)
    out[:, _INDEX["words_per_turn"]] = mean_len
    out[:, _INDEX["short_utterance_rate"]] = d.mean(length <= _SHORT_MAX_TOKENS)
    for name, hit in _BANKS.hits(text).items():
        out[:, _INDEX[name]] = d.mean(hit)
    out[:, _INDEX["acknowledgment_rate"]] = d.mean(_acknowledgments(text))

    mean_sq = d.mean(length**2)
    std = np.sqrt(np.clip(mean_sq - mean_len**2, 0.0, None))
    cv_ok = (d.counts > 1) & (mean_len > 0)
    out[:, _INDEX["verbosity_cv"]] = np.divide(std, mean_len, out=np.zeros_like(std), where=cv_ok)
    out[:, _INDEX["repetition_rate"]] = d.mean(_repeated_trigram_turns(text, d))

    total = np.bincount(d.of_turn, weights=length, minlength=d.n)
    first_two = np.bincount(d.of_turn, weights=length * (d.position < 2), minlength=d.n)
    front = np.divide(first_two, total, out=np.zeros_like(total), where=total > 0)
    front[(d.counts == 1) & (total > 0)] = 1.0
    out[:, _INDEX["front_loading_ratio"]] = front
    out[:, _INDEX["identifiers_per_turn"]] = d.mean(_identifiers(text))
    has = d.counts > 0
    opening = np.zeros(d.n)
    opening[has] = length[d.first[has]]
    out[:, _INDEX["opening_length"]] = opening
    return out


def fingerprint(turns: list[str]) -> dict[str, float]:
    """One dialogue's fingerprint as a name → value mapping (for reports and reflection prompts)."""
    return dict(zip(FEATURE_NAMES, fingerprint_many([turns])[0].tolist(), strict=True))
