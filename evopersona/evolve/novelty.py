"""The novelty filter: a child too close to a known program is rejected before any episode runs.

Two cheap descriptors, compared by cosine similarity with every archived program:
- code: hashed character n-gram counts of the normalised code;
- behaviour: the same embedding of the persona policies (and axis placements) the child writes in a
  one-task dry run in the sandbox. A child whose policies match an archived program's behaves like
  it, whatever its code says (a nudged constant nothing reads, a rename).
A similarity at or above its threshold rejects the child; one inside `judge_band` below a threshold
goes to the optional LLM novelty judge (the `judge` role), whose NO rejects it too. Every rejection
carries its reason (kind `not_novel`, or `dry_run` when the dry run itself fails).
"""

from __future__ import annotations

import asyncio
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from evopersona.config import NoveltyConfig, SandboxConfig
from evopersona.generator import PersonaRecord, ProgramFailed
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool
from evopersona.store.codehash import normalise_code
from evopersona.tasks import Task

DIMENSIONS = 4096
NGRAM = 5
DRY_RUN_PERSONAS = 3
_VERDICT = re.compile(r"VERDICT:\s*(YES|NO)\b", re.IGNORECASE)


def ngram_embedding(text: str, n: int = NGRAM, dimensions: int = DIMENSIONS) -> np.ndarray:
    """Unit-length counts of hashed character n-grams (zero vector for empty text)."""
    vector = np.zeros(dimensions)
    for i in range(max(len(text) - n + 1, 0)):
        vector[zlib.crc32(text[i:i + n].encode()) % dimensions] += 1.0
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def behaviour_text(records: list[PersonaRecord]) -> str:
    return "\n".join(f"{sorted(k for k, on in r.axis_placement.items() if on)} {r.policy}"
                     for r in sorted(records, key=lambda r: r.persona_id))


class NotNovel(Exception):
    """The child is not worth an evaluation; `kind` and `reason` go to the rejections table."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass
class Descriptor:
    code: np.ndarray
    behaviour: np.ndarray | None = None
    policies: str = ""


class NoveltyFilter:
    """Descriptors of known programs and the check a proposed child must pass."""

    def __init__(self, config: NoveltyConfig, sandbox: SandboxConfig, gateway: Any, task: Task | None, seed: int) -> None:
        self.config = config
        self.gateway = gateway
        self.task = task
        self.seed = seed
        self._sandbox = sandbox
        self._pool: SandboxPool | None = None
        self.known: dict[int, Descriptor] = {}
        self.checked = 0
        self.judged = 0

    @property
    def behaviour_on(self) -> bool:
        return self.config.behaviour_similarity is not None and self.task is not None

    @property
    def active(self) -> bool:
        return self.config.code_similarity is not None or self.config.behaviour_similarity is not None

    def add(self, program_id: int, code: str, descriptor: Descriptor | None = None) -> None:
        """Index a known program (nothing to do while the filter is off)."""
        if self.active:
            self.known[program_id] = descriptor or Descriptor(ngram_embedding(normalise_code(code)))

    async def describe(self, code: str) -> Descriptor:
        """The child's code embedding and, when the behaviour check is on, its dry-run policies'."""
        descriptor = Descriptor(ngram_embedding(normalise_code(code)))
        if self.behaviour_on:
            descriptor.policies = await self._dry_run(code)
            descriptor.behaviour = ngram_embedding(descriptor.policies)
        return descriptor

    async def _dry_run(self, code: str) -> str:
        assert self.task is not None
        if self._pool is None:
            self._pool = SandboxPool(self._sandbox, handler=gateway_handler(self.gateway, asyncio.get_running_loop()))
        try:
            output = await self._pool.arun(code, self.task.generator_view(), DRY_RUN_PERSONAS, self.seed)
        except ProgramFailed as exc:
            raise NotNovel("dry_run", f"the one-task dry run failed: {exc}") from None
        return behaviour_text(output.records)

    async def ensure_behaviour(self, program_id: int, code: str) -> None:
        """Give a known program (a seed, a resumed one) its behaviour descriptor if it lacks one."""
        known = self.known.get(program_id)
        if self.behaviour_on and (known is None or known.behaviour is None):
            try:
                self.known[program_id] = await self.describe(code)
            except NotNovel:
                self.add(program_id, code)

    async def check(self, child: Descriptor) -> None:
        """Raise NotNovel when `child` is too close to a known program (see the module docstring)."""
        self.checked += 1
        for name, threshold, vectors in (
            ("code", self.config.code_similarity, [(pid, d.code) for pid, d in self.known.items()]),
            ("behaviour", self.config.behaviour_similarity,
             [(pid, d.behaviour) for pid, d in self.known.items() if d.behaviour is not None]),
        ):
            mine = child.code if name == "code" else child.behaviour
            if threshold is None or mine is None or not vectors:
                continue
            similarity, closest = max((float(mine @ v), pid) for pid, v in vectors)
            if similarity >= threshold:
                raise NotNovel("not_novel", f"{name} {similarity:.4f} similar to program {closest} (threshold {threshold})")
            if self.config.judge and similarity >= threshold - self.config.judge_band:
                await self._judge(name, similarity, closest, child)

    async def _judge(self, name: str, similarity: float, closest: int, child: Descriptor) -> None:
        self.judged += 1
        other = self.known[closest].policies or "(not available)"
        prompt = ("Two persona generators wrote these roleplay policies. Would the second set make simulated "
                  "users behave in a meaningfully different way from the first? Answer with a short reason "
                  f"and a last line VERDICT: YES or NO.\n\nFirst:\n{other[:4000]}\n\nSecond:\n{child.policies[:4000]}")
        answer = await self.gateway.acomplete("judge", [{"role": "user", "content": prompt}], seed=self.seed)
        verdict = _VERDICT.findall(answer.text)
        if verdict and verdict[-1].upper() == "NO":
            raise NotNovel("not_novel", f"{name} {similarity:.4f} similar to program {closest}; the novelty judge "
                           "found no meaningful difference")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
