"""The pool's slots: calls from several threads share at most pool_size workers, the warmest first, and a
worker that died between calls is replaced before the next one."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

from evopersona.sandbox.pool import SandboxPool
from tests.sandbox.conftest import GOOD, LIMITS, TASK


def test_threads_share_at_most_pool_size_workers():
    with SandboxPool(LIMITS.model_copy(update={"pool_size": 2})) as pool:
        with ThreadPoolExecutor(max_workers=4) as threads:
            outputs = list(threads.map(lambda seed: pool.run(GOOD, TASK, 3, seed), range(12)))
        assert [len(o.records) for o in outputs] == [3] * 12
        assert outputs[5] == pool.run(GOOD, TASK, 3, 5)
        assert 1 <= pool.spawned <= 2
        assert len(pool._idle) == 2


def test_the_most_recently_used_worker_serves_next():
    with SandboxPool(LIMITS.model_copy(update={"pool_size": 2})) as pool:
        pool.run(GOOD, TASK, 1, 0)
        pool.run(GOOD, TASK, 1, 1)
        assert pool.spawned == 1  # one caller at a time: the warm worker, never a second cold one


def test_a_worker_that_died_between_calls_is_replaced():
    with SandboxPool(LIMITS) as pool:
        pool.run(GOOD, TASK, 1, 0)
        (worker,) = pool._idle
        os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait()
        assert len(pool.run(GOOD, TASK, 2, 0).records) == 2
        assert pool.spawned == 2
