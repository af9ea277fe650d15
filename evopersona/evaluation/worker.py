"""The evaluation worker: one per process (a Ray worker, or the driver for the inline executor).

A worker keeps what is expensive to build between jobs: its sandbox pool, its gateway and the
fitted fitness reference. It runs its own event loop in a background thread, so the synchronous
sandbox (which blocks while a program runs) can hand the program's LLM requests back to the gateway.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evaluation.pipeline import evaluate_program
from evopersona.fitness.objectives import FitnessReference
from evopersona.llm.factory import make_gateway
from evopersona.llm.gateway import Gateway
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool


@dataclass
class WorkerContext:
    key: tuple[str, str]
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    gateway: Gateway
    pool: SandboxPool
    reference: FitnessReference

    def close(self) -> None:
        self.pool.close()
        asyncio.run_coroutine_threadsafe(_shutdown(self.gateway), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def _shutdown(gateway: Gateway) -> None:
    """Close the gateway and cancel what libraries left running (litellm's logging worker)."""
    await gateway.aclose()
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


_CONTEXT: WorkerContext | None = None
_LOCK = threading.Lock()


def _start_loop() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="evopersona-worker-loop", daemon=True)
    thread.start()
    return loop, thread


def worker_context(job: EvaluationJob) -> WorkerContext:
    """The process's context for this job's run (rebuilt when the run or its reference changes)."""
    global _CONTEXT
    key = (job.config.name, job.reference_dir)
    with _LOCK:
        if _CONTEXT is not None and _CONTEXT.key == key:
            return _CONTEXT
        if _CONTEXT is not None:
            _CONTEXT.close()
        loop, thread = _start_loop()
        gateway = make_gateway(job.config)
        pool = SandboxPool(job.config.sandbox, gateway_handler(gateway, loop=loop))
        reference = FitnessReference.load(Path(job.reference_dir))
        _CONTEXT = WorkerContext(key, loop, thread, gateway, pool, reference)
        return _CONTEXT


def close_worker_context() -> None:
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is not None:
            _CONTEXT.close()
            _CONTEXT = None


def run_job(job: EvaluationJob) -> EvaluationOutcome:
    context = worker_context(job)
    future = asyncio.run_coroutine_threadsafe(
        evaluate_program(job, context.gateway, context.pool, context.reference), context.loop
    )
    return future.result()


def run_job_json(job_json: str) -> str:
    """The entry point executors call: JSON in, JSON out (so Ray ships plain strings)."""
    return run_job(EvaluationJob.model_validate_json(job_json)).model_dump_json()
