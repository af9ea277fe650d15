"""Turning a mutator's answer into a child program, or a precise reason to reject it before it
costs an evaluation: SEARCH/REPLACE blocks (or a full rewrite in one ```python block) applied to
the parent, then size, syntax, contract, duplicate and near-duplicate checks.
"""

from __future__ import annotations

import ast
import difflib
import functools
import itertools
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from evopersona.store.codehash import code_hash, normalise_code
from evopersona.store.parsed import normalised_pieces, parse_program

NEAR_DUPLICATE_RATIO = 0.995

# Markers as models write them: 5 to 9 marker characters, any case, indented or not.
_BLOCK = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$",
    re.MULTILINE | re.DOTALL | re.IGNORECASE,
)
_SEARCH_MARKER = re.compile(r"^[ \t]*<{5,9}[ \t]*SEARCH", re.MULTILINE | re.IGNORECASE)
_PYTHON_FENCE = re.compile(r"^```(?:python3?|py)?[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL | re.IGNORECASE)
_TOKEN = re.compile(r"\w+|[^\w\s]")

RejectKind = Literal["unparseable", "not_applied", "too_long", "syntax", "contract", "no_change",
                     "duplicate", "near_duplicate"]


class MutationRejected(Exception):
    """The mutator's answer yields no new valid program; `kind` is machine-readable, `reason` exact."""

    def __init__(self, kind: RejectKind, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SearchReplace:
    search: str
    replace: str


@dataclass(frozen=True, slots=True)
class MutationResult:
    code: str
    kind: Literal["diff", "rewrite"]
    code_hash: str
    blocks_applied: int


def _strip_final_newline(text: str) -> str:
    # a captured section is empty or ends with its line break, which belongs to the markers
    return text.removesuffix("\n")


def parse_blocks(text: str) -> list[SearchReplace]:
    """Every SEARCH/REPLACE block in the answer; a SEARCH marker without a complete block is an error."""
    text = text.replace("\r\n", "\n")
    blocks = [SearchReplace(_strip_final_newline(s), _strip_final_newline(r)) for s, r in _BLOCK.findall(text)]
    markers = len(_SEARCH_MARKER.findall(text))
    if markers != len(blocks):
        raise MutationRejected("unparseable", f"{markers} SEARCH markers but {len(blocks)} complete "
                               "SEARCH/=======/REPLACE blocks")
    return blocks


def extract_rewrite(text: str) -> str | None:
    """The first fenced block (```python, ```py or untagged) that defines `generate`, if any."""
    for body in _PYTHON_FENCE.findall(text.replace("\r\n", "\n")):
        if re.search(r"^def generate\(", body, re.MULTILINE):
            return body
    return None


def _replace_ignoring_trailing_whitespace(code: str, block: SearchReplace) -> str | None:
    lines = code.splitlines(keepends=True)
    stripped = [line.rstrip() for line in lines]
    target = [line.rstrip() for line in block.search.splitlines()]
    for start in range(len(lines) - len(target) + 1):
        if stripped[start:start + len(target)] == target:
            end = start + len(target)
            tail = "\n" if lines[end - 1].endswith("\n") and block.replace else ""
            return "".join(lines[:start]) + block.replace + tail + "".join(lines[end:])
    return None


def apply_blocks(parent: str, blocks: list[SearchReplace]) -> str:
    """Apply blocks in order (each to the result of the previous): exact match first, then a
    match that ignores trailing whitespace; the first occurrence is replaced."""
    code = parent
    for number, block in enumerate(blocks, start=1):
        if not block.search.strip():
            raise MutationRejected("not_applied", f"block {number}: empty SEARCH section")
        if block.search in code:
            code = code.replace(block.search, block.replace, 1)
            continue
        replaced = _replace_ignoring_trailing_whitespace(code, block)
        if replaced is None:
            first = next(line for line in block.search.splitlines() if line.strip()).strip()
            raise MutationRejected("not_applied", f"block {number}: SEARCH text not found in the parent "
                                   f"(first line: {first[:80]!r})")
        code = replaced
    return code


def check_contract(tree: ast.Module) -> str | None:
    """Why the module breaks the generator contract (top-level AXES and generate(task, n, llm, rng)), or None."""
    names = set()
    generate: ast.FunctionDef | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef) and node.name == "generate":
            generate = node
    if "AXES" not in names:
        return "no top-level AXES assignment"
    if generate is None:
        return "no top-level def generate(task, n, llm, rng)"
    positional = len(generate.args.posonlyargs) + len(generate.args.args)
    if positional < 4 and generate.args.vararg is None:
        return f"generate takes {positional} positional parameters; the contract passes (task, n, llm, rng)"
    return None


class NearDuplicateIndex:
    """Normalised token sequences of known programs; a child at least `threshold` similar
    (difflib ratio) to any of them is not worth an evaluation.

    A ratio of at least t needs a token multiset difference of at most (1 - t)(|a| + |b|) tokens;
    counts of tokens hashed into buckets give a lower bound of that difference for every known
    program at once (numpy), so only the few programs that could pass reach difflib. The bound is
    taken first over buckets folded by `FOLD` (a weaker bound, a tenth of the work over the whole
    index), then over all buckets for the programs that pass it."""

    BUCKETS = 512
    FOLD = 8
    PIECE_CACHE_SIZE = 2048

    def __init__(self, threshold: float = NEAR_DUPLICATE_RATIO) -> None:
        self.threshold = threshold
        self._programs: list[tuple[str, list[str]]] = []
        self._counts = np.zeros((0, self.BUCKETS), dtype=np.int32)
        self._folded = np.zeros((0, self.BUCKETS // self.FOLD), dtype=np.int32)
        self._lengths = np.zeros(0, dtype=np.int64)
        self._last: tuple[str, list[str], np.ndarray] | None = None  # a checked child is usually added next

    def __len__(self) -> int:
        return len(self._programs)

    def _signature(self, code: str) -> tuple[list[str], np.ndarray]:
        """The normalised tokens of `code` and their bucket counts.

        Tokens never span the line breaks between the statements of the normalised text, so they are
        those of its statements in turn, each tokenised once (most of a child is its parent's)."""
        if self._last is not None and self._last[0] == code:
            return self._last[1], self._last[2]
        try:
            pieces = normalised_pieces(code)
        except SyntaxError:
            pieces = None
        texts = pieces if pieces is not None else [normalise_code(code)]
        signatures = [_piece_signature(text, self.BUCKETS) for text in texts]
        tokens = list(itertools.chain.from_iterable(piece_tokens for piece_tokens, _ in signatures))
        buckets = np.concatenate([piece_buckets for _, piece_buckets in signatures]) if signatures else np.zeros(0, np.int64)
        counts = np.bincount(buckets, minlength=self.BUCKETS).astype(np.int32)
        self._last = (code, tokens, counts)
        return tokens, counts

    def _fold(self, counts: np.ndarray) -> np.ndarray:
        return counts.reshape(*counts.shape[:-1], self.BUCKETS // self.FOLD, self.FOLD).sum(axis=-1)

    def add(self, key: str, code: str) -> None:
        tokens, counts = self._signature(code)
        self._programs.append((key, tokens))
        if len(self._programs) > len(self._lengths):
            grown = max(64, 2 * len(self._lengths))
            self._counts = np.resize(self._counts, (grown, self.BUCKETS))
            self._folded = np.resize(self._folded, (grown, self.BUCKETS // self.FOLD))
            self._lengths = np.resize(self._lengths, grown)
        self._counts[len(self._programs) - 1] = counts
        self._folded[len(self._programs) - 1] = self._fold(counts)
        self._lengths[len(self._programs) - 1] = len(tokens)

    def closest_above_threshold(self, code: str) -> tuple[str, float] | None:
        """(key, ratio) of the first known program at least `threshold` similar, else None."""
        n = len(self._programs)
        if n == 0:
            return None
        tokens, counts = self._signature(code)
        allowed = (1.0 - self.threshold) * (self._lengths[:n] + len(tokens)) + 1e-9
        coarse = np.flatnonzero(np.abs(self._folded[:n] - self._fold(counts)).sum(axis=1) <= allowed)
        difference = np.abs(self._counts[coarse] - counts).sum(axis=1)
        candidates = coarse[difference <= allowed[coarse]]
        if candidates.size == 0:
            return None
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(tokens)
        for index in candidates:
            key, known = self._programs[index]
            matcher.set_seq1(known)
            if (matcher.real_quick_ratio() >= self.threshold and matcher.quick_ratio() >= self.threshold
                    and (ratio := matcher.ratio()) >= self.threshold):
                return key, ratio
        return None


@functools.lru_cache(maxsize=NearDuplicateIndex.PIECE_CACHE_SIZE)
def _piece_signature(text: str, buckets: int) -> tuple[tuple[str, ...], np.ndarray]:
    """The tokens of `text` and the bucket of each (str hashes vary between processes but not within
    one, and an index lives in one process)."""
    tokens = tuple(_TOKEN.findall(text))
    return tokens, np.fromiter((hash(token) % buckets for token in tokens), dtype=np.int64, count=len(tokens))


@dataclass
class ChildChecks:
    """What a child is checked against: size limit, known code hashes and the near-duplicate index."""

    max_code_length: int
    known_hashes: Container[str] = field(default_factory=set)
    near_duplicates: NearDuplicateIndex | None = None


def apply_mutation(parent: str, answer: str, checks: ChildChecks) -> MutationResult:
    """The child program from a mutator answer, or MutationRejected with the reason."""
    kind: Literal["diff", "rewrite"] = "diff"
    if _SEARCH_MARKER.search(answer):
        blocks = parse_blocks(answer)
        child = apply_blocks(parent, blocks)
    else:
        rewrite = extract_rewrite(answer)
        if rewrite is None:
            raise MutationRejected("unparseable", "no SEARCH/REPLACE block and no ```python block defining generate")
        blocks, child, kind = [], rewrite, "rewrite"
    if len(child) > checks.max_code_length:
        raise MutationRejected("too_long", f"{len(child)} characters > max_code_length {checks.max_code_length}")
    try:
        parsed = parse_program(child, base=parent)
    except SyntaxError as exc:
        raise MutationRejected("syntax", f"line {exc.lineno}: {exc.msg}") from None
    broken = check_contract(parsed.module)
    if broken:
        raise MutationRejected("contract", broken)
    if parsed.normalised == normalise_code(parent):
        raise MutationRejected("no_change", "the child is the parent up to comments, docstrings and layout")
    digest = code_hash(child)
    if digest in checks.known_hashes:
        raise MutationRejected("duplicate", f"same normalised code as an archived program ({digest[:12]})")
    if checks.near_duplicates is not None:
        near = checks.near_duplicates.closest_above_threshold(child)
        if near is not None:
            raise MutationRejected("near_duplicate", f"{near[1]:.4f} similar to program {near[0]}")
    return MutationResult(child, kind, digest, len(blocks))
