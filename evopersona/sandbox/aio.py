"""Sandbox calls from async code, on threads of their own.

A pool call blocks its thread until a worker slot is free and the program has finished, and the
program's LLM requests are served on the caller's event loop (`gateway_handler(gateway, loop)`),
where litellm runs part of every call on the loop's default executor. Sandbox calls sent there with
`asyncio.to_thread` took that executor's threads: with more calls than it has threads (6 on two
cores), every thread waited for a pool slot while the programs holding the slots waited for an LLM
answer that needed a thread, and the evaluation never finished. Each pool therefore has an executor
with one thread per slot: a waiting call waits in its queue, not in a thread, and the default
executor stays free for the LLM path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from evopersona.generator import ProgramOutput
from evopersona.sandbox.pool import SandboxPool

_EXECUTORS: weakref.WeakKeyDictionary[SandboxPool, ThreadPoolExecutor] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _executor(pool: SandboxPool) -> ThreadPoolExecutor:
    """The pool's executor, made on first use and shut down when the pool is collected."""
    with _LOCK:
        executor = _EXECUTORS.get(pool)
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=pool.config.pool_size, thread_name_prefix="sandbox")
            _EXECUTORS[pool] = executor
            weakref.finalize(pool, executor.shutdown, wait=False)
        return executor


async def run_program(pool: SandboxPool, source: str, task: dict[str, Any], n: int, seed: int) -> ProgramOutput:
    """`pool.run(source, task, n, seed)` without blocking the loop or taking its default executor.

    The caller's context travels with the call (as with `asyncio.to_thread`), so the program's LLM
    calls land in the caller's ledger."""
    call = functools.partial(contextvars.copy_context().run, pool.run, source, task, n, seed)
    return await asyncio.get_running_loop().run_in_executor(_executor(pool), call)
