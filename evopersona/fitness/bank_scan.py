"""Which turns match a pattern bank, trying each bank's regex only where one of its phrases can start.

Why: running ~150 regexes over every turn (or one big alternation at every word boundary) is what
made the fingerprint slow. Almost every fragment of `banks.py` starts at a word boundary with a
literal word: `\\bthank you\\b` can only match where the token "thank" starts, `\\bfrustrat` where a
token starting with "frustrat" starts. That first token is read off the fragment's parsed form
(`re._parser`, the standard library's own regex parser): its literal word characters, and whether
the fragment ends the token there (a space, apostrophe or `\\b` follows: exact) or may continue it
(a prefix). A table indexed by a token's first three characters marks the banks whose fragments can
start with such a token; the bank's compiled alternation then runs `match` at those token starts
only. Fragments without such a first token (punctuation, line anchors) scan the whole text. The
table is a superset filter: the regex itself decides every hit, so the result is exactly what
`re.search` of each fragment on each turn gives.
"""

from __future__ import annotations

import re
from re import _constants as sre  # the standard library's regex parser, see the module docstring
from re import _parser

import numpy as np

from evopersona.fitness.turn_text import END, KEY_BITS, MAX_KEY_LENGTH, TurnText, char_code

_SPACE = r"[^\S\n]+"
_WORD = re.compile(r"\w")
_END_ANCHORS = (sre.AT_BOUNDARY, sre.AT_END, sre.AT_END_STRING)
_MAX_PAIRS = 1 << 12
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def spaced(fragment: str) -> str:
    """A bank fragment as a regex: its single spaces stand for a run of horizontal whitespace."""
    return fragment.replace(" ", _SPACE)


def _word_char(code: int) -> bool:
    return _WORD.match(chr(code)) is not None


def _no_word_chars(items: list[tuple]) -> bool:
    """Whether a character set surely holds no word character: only non-word literals, or a negated
    set that excludes every non-space (so it holds whitespace at most)."""
    if all(op is sre.LITERAL and not _word_char(av) for op, av in items):
        return True
    return items[0][0] is sre.NEGATE and (sre.CATEGORY, sre.CATEGORY_NOT_SPACE) in items


def _non_word_item(op: object, av: object) -> bool:
    if op is sre.LITERAL:
        return not _word_char(av)
    return op is sre.IN and _no_word_chars(list(av))


def _ends_token(op: object, av: object) -> bool:
    """Whether this item, right after a word character, surely ends the token there."""
    if op in (sre.LITERAL, sre.IN):
        return _non_word_item(op, av)
    if op is sre.AT:
        return av in _END_ANCHORS
    if op in _REPEATS:
        low, _, sub = av
        items = list(sub)
        return low >= 1 and len(items) == 1 and _non_word_item(*items[0])
    return False


_MAX_TOKENS = 2


def _separator(op: object, av: object) -> bool:
    """Whether this item, between two tokens of a phrase, matches non-word characters only (or nothing)."""
    if op is sre.AT:
        return True
    if op in _REPEATS:
        items = list(av[2])
        return len(items) == 1 and _non_word_item(*items[0])
    return _non_word_item(op, av)


Tokens = tuple[tuple[str, bool], ...]


def _union(ways: list[list[Tokens] | None]) -> list[Tokens] | None:
    return None if any(w is None for w in ways) else [x for w in ways for x in w]


def _walk(items: list[tuple], done: Tokens, prefix: str) -> list[Tokens] | None:
    """The leading tokens a match can have: `done` are finished, `prefix` is the current one's start."""
    for i, (op, av) in enumerate(items):
        rest = items[i + 1:]
        if op is sre.LITERAL and _word_char(av):
            prefix += chr(av)
            continue
        if op is sre.SUBPATTERN and not av[1] and not av[2]:
            return _walk(list(av[3]) + rest, done, prefix)
        if op is sre.BRANCH:
            return _union([_walk(list(alternative) + rest, done, prefix) for alternative in av[1]])
        if op in _REPEATS and av[0] == 0 and av[1] == 1:  # optional: matched without it, or with it once
            return _union([_walk(rest, done, prefix), _walk(list(av[2]) + rest, done, prefix)])
        if not prefix:
            if done and _separator(op, av):
                continue
            return [done] if done else None
        if not _ends_token(op, av):
            return [(*done, (prefix, False))]
        token = (*done, (prefix, True))
        if len(token) == _MAX_TOKENS:
            return [token]
        return _walk(rest, token, "")
    if prefix:
        return [(*done, (prefix, False))]
    return [done] if done else None


def first_tokens(fragment: str) -> list[Tokens] | None:
    """What the first (up to two) tokens of a match can be, for a fragment that starts at a word
    boundary: per way of matching, (text, exact) per token, exact meaning the token is that text,
    otherwise that it starts with it. The second token is the one right after the first (only
    non-word characters separate them). None when some way does not start with a literal word
    character."""
    return _walk(list(_parser.parse(spaced(fragment))), (), "")


def _keys(prefix: str, exact: bool) -> np.ndarray:
    """Every `TurnText.token_keys` value of a token that is `prefix` (exact) or starts with it."""
    codes = [char_code(c) for c in prefix[:3]]
    lengths = [len(prefix)] if exact else range(min(len(prefix), MAX_KEY_LENGTH), MAX_KEY_LENGTH + 1)
    if exact:
        codes += [END] * (3 - len(codes))
    heads = np.zeros(1, dtype=np.int64)
    for i in range(3):
        options = np.array([codes[i]]) if i < len(codes) else np.arange(64)
        heads = ((heads[:, None] << 6) | options[None, :]).ravel()
    return ((heads[:, None] << 4) | np.minimum(np.array(list(lengths)), MAX_KEY_LENGTH)[None, :]).ravel()


class BankScanner:
    """Every bank of fragments, compiled once: per bank, the alternation of its word-initial
    fragments (tried at candidate token starts) and the regexes of the others (full scans).

    Candidates: `first` marks, per token key, the banks whose phrases can start with such a
    token; `single` the banks for which that is enough; otherwise the pair (this token's key, the
    next token's key) must be one of the bank's `pairs`."""

    def __init__(self, named_banks: dict[str, list[str]]) -> None:
        self.names = list(named_banks)
        if len(self.names) > 16:
            raise ValueError("at most 16 banks fit the candidate tables (one bit each)")
        self.first = np.zeros(1 << KEY_BITS, dtype=np.uint16)
        self.single = np.zeros(1 << KEY_BITS, dtype=np.uint16)
        self.pairs: list[np.ndarray] = []
        self.worded: list[re.Pattern[str] | None] = []
        self.scans: list[list[re.Pattern[str]]] = []
        for bit, fragments in enumerate(named_banks.values()):
            worded, scans, pairs = [], [], []
            for fragment in fragments:
                ways = first_tokens(fragment[2:]) if fragment.startswith(r"\b") else None
                if ways is None:
                    scans.append(re.compile(spaced(fragment), re.MULTILINE))
                    continue
                worded.append(spaced(fragment[2:]))
                for way in ways:
                    heads = _keys(*way[0])
                    self.first[heads] |= 1 << bit
                    second = _keys(*way[1]) if len(way) > 1 else None
                    if second is None or len(heads) * len(second) > _MAX_PAIRS:
                        self.single[heads] |= 1 << bit
                    else:
                        pairs.append(((heads[:, None] << KEY_BITS) | second[None, :]).ravel())
            self.pairs.append(np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, np.int64))
            self.worded.append(re.compile("(?:" + "|".join(worded) + ")", re.MULTILINE) if worded else None)
            self.scans.append(scans)

    def hits(self, text: TurnText) -> dict[str, np.ndarray]:
        """Per bank, per turn: does any fragment of the bank occur in the (lower-cased) turn?"""
        keys = text.token_keys
        first, single = self.first[keys], self.single[keys]
        pair = (keys << KEY_BITS) | np.r_[keys[1:], 0]
        out: dict[str, np.ndarray] = {}
        for bit, name in enumerate(self.names):
            hit = np.zeros(text.n, dtype=bool)
            matcher = self.worded[bit]
            if matcher is not None:
                tokens = np.flatnonzero(first & (1 << bit))
                keep = (single[tokens] & (1 << bit)) != 0
                if self.pairs[bit].size:
                    keep |= np.isin(pair[tokens], self.pairs[bit])
                tokens = tokens[keep]
                found = np.fromiter((matcher.match(text.lower, p) is not None for p in text.token_start[tokens].tolist()),
                                    dtype=bool, count=tokens.size)
                hit[text.token_turn[tokens[found]]] = True
            for regex in self.scans[bit]:
                positions = np.fromiter((m.start() for m in regex.finditer(text.lower)), dtype=np.int64)
                hit[text.turn_of_lower(positions)] = True
            out[name] = hit
        return out
