"""Sandbox overhead: personas/s for compositional.py in-process ÷ through the sandbox pool.

Both sides make the same `generate(task, 100, None, random.Random(seed))` calls with the same seeds.
In-process is the bare call on the program loaded as a module: no gate, no isolation, no checks.
Through the pool a call is gated (once per program), sent to a warm confined worker, run, encoded,
sent back, decoded and validated against the contract. The two sides take turns call by call (and
which goes first rotates), so both see the same machine load; the ratio of medians is the RESULT and
the ratio of the fastest calls (the cost without waiting for a CPU) is printed beside it.

The breakdown replays, in the same rotation, each stage of a sandboxed call in this process with the
code the pool and the worker use; what a round trip costs beyond their sum is the pipes, the pool's
bookkeeping and the wake-ups of two processes. Ends with `RESULT sandbox_overhead_ratio <value>`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evopersona.config import SandboxConfig
from evopersona.generator import validate_output
from evopersona.resources import programs_dir
from evopersona.sandbox.namespace import build_namespace, preload_modules
from evopersona.sandbox.pool import SandboxPool
from evopersona.sandbox.protocol import decode, encode
from evopersona.tasks import load_domain

N = 100
CALLS = 1000
WARMUP = 20


def _load_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("compositional_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


class Replay:
    """One sandboxed call's stages, run one after the other in this process and timed each."""

    def __init__(self, task: dict[str, Any], source: str) -> None:
        self.task, self.source = task, source
        self.namespace = build_namespace(preload_modules(), "generator_program")
        exec(compile(source, "<program>", "exec", dont_inherit=True), self.namespace)  # the bench's own program
        self.config = SandboxConfig()
        self.digest = hashlib.sha256(source.encode("utf-8")).hexdigest()  # the pool memoises it per source
        self.times: dict[str, list[float]] = {}

    def _stage(self, name: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = call()
        self.times.setdefault(name, []).append(time.perf_counter() - start)
        return value

    def __call__(self, seed: int) -> None:
        job = {"type": "run", "hash": self.digest, "task": self.task, "n": N, "seed": seed,
               "cpu_seconds": self.config.cpu_seconds, "max_output_bytes": self.config.max_output_bytes}
        job_frame = self._stage("parent: encode job", lambda: encode(job))
        self._stage("worker: decode job", lambda: decode(job_frame[4:]))
        records = self._stage("worker: run generate()",
                              lambda: self.namespace["generate"](self.task, N, None, random.Random(seed)))
        frame = self._stage("worker: encode result", lambda: encode(
            {"type": "result", "axes": self.namespace["AXES"], "no_persona": False, "records": records}))
        reply = self._stage("parent: decode result", lambda: decode(frame[4:]))
        self._stage("parent: validate", lambda: validate_output(reply["axes"], reply["no_persona"], reply["records"], N))


def _rounds(task: dict[str, Any], module: Any, pool: SandboxPool, source: str,
            replay: Replay) -> tuple[list[float], list[float]]:
    def local(seed: int) -> float:
        return _timed(lambda: module.generate(task, N, None, random.Random(seed)))

    def boxed(seed: int) -> float:
        return _timed(lambda: pool.run(source, task, N, seed))

    for seed in range(WARMUP):
        local(seed), boxed(seed), replay(seed)
    replay.times.clear()
    in_process, sandboxed = [], []
    turns = [lambda s: in_process.append(local(s)), lambda s: sandboxed.append(boxed(s)), replay]
    for seed in range(CALLS):
        for turn in turns[seed % 3:] + turns[:seed % 3]:
            turn(seed)
    return in_process, sandboxed


def main() -> None:
    path = programs_dir() / "compositional.py"
    source = path.read_text()
    task = load_domain("retail")[5].generator_view()
    module = _load_module(path)
    replay = Replay(task, source)
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        local, boxed = _rounds(task, module, pool, source, replay)
    local_s, boxed_s = statistics.median(local), statistics.median(boxed)
    frame_kb = len(encode({"type": "result", "records": module.generate(task, N, None, random.Random(0))})) / 1024
    print(f"compositional.py, n={N}, {CALLS} calls each side, taking turns; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores")
    print(f"in-process : median {local_s * 1e3:7.3f} ms  best {min(local) * 1e3:7.3f} ms  {N / local_s:9.0f} personas/s")
    print(f"sandboxed  : median {boxed_s * 1e3:7.3f} ms  best {min(boxed) * 1e3:7.3f} ms  {N / boxed_s:9.0f} personas/s")
    print(f"ratio      : median {boxed_s / local_s:.3f}  best {min(boxed) / min(local):.3f}")
    print(f"breakdown of a sandboxed call (result frame {frame_kb:.0f} KiB)   median      best")
    for name, times in replay.times.items():
        print(f"  {name:40s} {statistics.median(times) * 1e3:7.3f} ms {min(times) * 1e3:7.3f} ms")
    rest_median = boxed_s - sum(statistics.median(times) for times in replay.times.values())
    rest_best = min(boxed) - sum(min(times) for times in replay.times.values())
    print(f"  {'pipes, pool, wake-ups (the rest)':40s} {rest_median * 1e3:7.3f} ms {rest_best * 1e3:7.3f} ms")
    print(f"RESULT sandbox_overhead_ratio {boxed_s / local_s:.3f}")


if __name__ == "__main__":
    main()
