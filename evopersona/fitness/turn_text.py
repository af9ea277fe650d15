"""All user turns of a batch as one text, tokenised with numpy instead of a regex per turn.

Why: the fingerprint of 10k dialogues (~100k turns, ~5 MB of text) is dominated by per-turn Python
work. Here the turns are joined by newlines once (a newline inside a turn becomes a space, so no
pattern crosses turns), lower-cased once, and turned into an array of code points. Tokens are the
maximal runs of `\\w` characters (exactly what `re.findall(r"\\b\\w+\\b", text)` returns), found as
the edges of a word-character mask; each token gets a 64-bit polynomial hash of its characters,
summed per token with `np.add.reduceat`.
"""

from __future__ import annotations

import re

import numpy as np

_WORD = re.compile(r"\w")
_HASH_BASE = np.uint64(0x100000001B3)
# A token's key: its first three characters, 6 bits each, and its length (capped), 4 bits.
KEY_BITS = 22
MAX_KEY_LENGTH = 15
END, OTHER = 63, 62  # the code past a token's end; the code of any character outside [0-9a-z_]
_CHAR_CODE = np.full(128, OTHER, dtype=np.int64)
for _i, _c in enumerate("0123456789abcdefghijklmnopqrstuvwxyz_"):
    _CHAR_CODE[ord(_c)] = _i


def char_code(char: str) -> int:
    """The 6-bit code of a character in a token key."""
    return int(_CHAR_CODE[ord(char)]) if ord(char) < 128 else OTHER


def char_class(codes: np.ndarray, regex: re.Pattern[str]) -> np.ndarray:
    """Which code points `regex` (a one-character class) matches; non-ASCII ones are asked once each."""
    ascii_table = np.array([regex.match(chr(c)) is not None for c in range(128)])
    member = ascii_table[np.minimum(codes, 127)]
    high = codes >= 128
    if high.any():
        values, inverse = np.unique(codes[high], return_inverse=True)
        member[high] = np.array([regex.match(chr(c)) is not None for c in values.tolist()])[inverse.ravel()]
    return member


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _powers(n: int) -> np.ndarray:
    out = np.full(max(n, 1), _HASH_BASE, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out)  # wraps modulo 2**64, as intended


class TurnText:
    """The joined turns (original and lower-cased), where each turn starts, and the lower-cased text's tokens."""

    def __init__(self, turns: list[str]) -> None:
        self.n = len(turns)
        self.text = "\n".join(t.replace("\n", " ") for t in turns)
        lengths = np.fromiter(map(len, turns), dtype=np.int64, count=self.n)
        self.starts = np.cumsum(lengths + 1) - lengths - 1
        self.lower = self.text.lower()
        codes = code_points(self.lower)
        self.lower_starts = np.r_[0, np.flatnonzero(codes == 10) + 1] if self.n else np.zeros(0, np.int64)
        word = char_class(codes, _WORD)
        edges = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        self.token_start = np.flatnonzero(edges == 1)
        token_end = np.flatnonzero(edges == -1)
        self.token_length = token_end - self.token_start
        self.token_turn = self.turn_of_lower(self.token_start)
        self.tokens_per_turn = np.bincount(self.token_turn, minlength=self.n)
        self.token_hash = self._hashes(codes, word)
        self.token_keys = self._keys(codes)

    def turn_of(self, positions: np.ndarray) -> np.ndarray:
        """The turn holding each position of `text`."""
        return np.searchsorted(self.starts, positions, side="right") - 1

    def turn_of_lower(self, positions: np.ndarray) -> np.ndarray:
        """The turn holding each position of `lower` (lower-casing can change a turn's length)."""
        return np.searchsorted(self.lower_starts, positions, side="right") - 1

    def _hashes(self, codes: np.ndarray, word: np.ndarray) -> np.ndarray:
        """sum(code[i] * B**i) over each token's characters, modulo 2**64: equal tokens, equal hashes."""
        if self.token_start.size == 0:
            return np.zeros(0, dtype=np.uint64)
        first = np.cumsum(self.token_length) - self.token_length
        local = np.arange(int(self.token_length.sum())) - np.repeat(first, self.token_length)
        values = codes[word].astype(np.uint64) * _powers(int(self.token_length.max()))[local]
        return np.add.reduceat(values, first)

    def _keys(self, codes: np.ndarray) -> np.ndarray:
        """Each token's key (see KEY_BITS): a cheap, exact-enough summary to pick candidate tokens."""
        keys = np.zeros(self.token_start.size, dtype=np.int64)
        for offset in range(3):
            inside = self.token_length > offset
            code = np.full(self.token_start.size, END, dtype=np.int64)
            char = codes[self.token_start[inside] + offset]
            code[inside] = np.where(char < 128, _CHAR_CODE[np.minimum(char, 127)], OTHER)
            keys = (keys << 6) | code
        return (keys << 4) | np.minimum(self.token_length, MAX_KEY_LENGTH)
