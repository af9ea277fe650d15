"""Sandbox overhead: personas/s for compositional.py through the pool vs the same function in-process.

Prints the throughput of both, their ratio (target < 2 for n=100 batches), the per-call overhead
in milliseconds and the ratio of the fastest calls. Ends with `RESULT sandbox_overhead_ratio <value>`.
"""

from __future__ import annotations

import importlib.util
import random
import statistics
import time

from evopersona.config import SandboxConfig
from evopersona.resources import programs_dir
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

N = 100
CALLS = 200


def _in_process(task: dict, path) -> list[float]:
    spec = importlib.util.spec_from_file_location("compositional_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    times = []
    for seed in range(CALLS):
        start = time.perf_counter()
        module.generate(task, N, None, random.Random(seed))
        times.append(time.perf_counter() - start)
    return times


def _sandboxed(task: dict, source: str) -> list[float]:
    times = []
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        pool.run(source, task, N, 0)  # spawn and load once, as a long-lived pool would have
        for seed in range(CALLS):
            start = time.perf_counter()
            pool.run(source, task, N, seed)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    path = programs_dir() / "compositional.py"
    task = load_domain("retail")[5].generator_view()
    local = _in_process(task, path)
    boxed = _sandboxed(task, path.read_text())
    local_s, boxed_s = statistics.median(local), statistics.median(boxed)
    print(f"batch n={N}, {CALLS} calls each (medians)")
    print(f"in-process : {local_s * 1e3:8.3f} ms/call  {N / local_s:10.0f} personas/s")
    print(f"sandboxed  : {boxed_s * 1e3:8.3f} ms/call  {N / boxed_s:10.0f} personas/s "
          "(includes gate, IPC, JSON and pydantic validation)")
    print(f"per-call overhead: {(boxed_s - local_s) * 1e3:.3f} ms")
    print(f"fastest calls: in-process {min(local) * 1e3:.3f} ms, sandboxed {min(boxed) * 1e3:.3f} ms, "
          f"ratio {min(boxed) / min(local):.3f} (the cost without waiting for a CPU; on a loaded machine the "
          "median also counts the scheduling of two processes per call)")
    print(f"RESULT sandbox_overhead_ratio {boxed_s / local_s:.3f}")


if __name__ == "__main__":
    main()
