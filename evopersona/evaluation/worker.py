"""The evaluation worker: one per process (a Ray worker, or the driver for the inline executor).

A worker keeps what is expensive to build between jobs: its sandbox pool, its gateway and the
fitted fitness reference. It runs its own event loop in a background thread, so the synchronous
sandbox (which blocks while a program runs) can hand the program's LLM requests back to the gateway.

A Ray worker reads nothing from the driver's disk: a `JobTicket` names the run context, tasks and
reference bundle by digest; what this process has not seen yet comes from Ray's object store, and the
reference is unpacked once per node (see bundle.py).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evopersona.config import RunConfig
from evopersona.evaluation.bundle import FolderBundle, unpack_bundle, unpacked_path
from evopersona.evaluation.models import (
    EvaluationJob,
    EvaluationOutcome,
    JobTicket,
    RunContext,
)
from evopersona.evaluation.pipeline import evaluate_program
from evopersona.fitness.objectives import FitnessReference
from evopersona.llm.factory import shared_limiter
from evopersona.llm.gateway import Gateway, register_offline_provider
from evopersona.llm.transport import configure_litellm
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import Task

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    key: tuple[str, str, str | None]
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


def run_cache_dir(config: RunConfig) -> Path:
    """The run's LLM cache on the driver's machine (inline executor, local Ray)."""
    return Path(config.llm.cache_dir or config.run_dir() / "llm-cache").resolve()


def node_cache_dir(context: RunContext) -> Path | None:
    """This worker's LLM cache: the driver's when valid here, else one per node, or none (`ray.worker_llm_cache`)."""
    config = context.config
    if config.ray.worker_llm_cache == "off":
        return None
    if context.llm_cache_dir is not None:
        return Path(context.llm_cache_dir)
    if config.llm.cache_dir:
        return Path(config.llm.cache_dir)
    return Path(tempfile.gettempdir()) / "evopersona-llm-cache" / config.name


def worker_context(job: EvaluationJob, cache_dir: Path | None) -> WorkerContext:
    """The process's context for this job's run (rebuilt when the run, its reference or cache changes)."""
    global _CONTEXT
    key = (job.config.name, job.reference_dir, None if cache_dir is None else str(cache_dir))
    with _LOCK:
        if _CONTEXT is not None and _CONTEXT.key == key:
            return _CONTEXT
        if _CONTEXT is not None:
            _CONTEXT.close()
        loop, thread = _start_loop()
        llm = job.config.llm.model_copy(update={"cache_dir": None})
        gateway = Gateway(llm, cache_dir=cache_dir, limiter=shared_limiter(job.config))
        pool = SandboxPool(job.config.sandbox, gateway_handler(gateway, loop=loop))
        reference = FitnessReference.load(Path(job.reference_dir))
        _CONTEXT = WorkerContext(key, loop, thread, gateway, pool, reference)
        return _CONTEXT


def warm_llm_client() -> None:
    """Import litellm and build its lazy state now, with one synchronous call to the offline provider
    (no network, no ledger, no event loop kept).

    A process's first litellm use costs seconds: the import when the gateway is made (~3 s here) and
    0.3-0.7 s of lazy set-up in the first call. A Ray actor pays them when it starts, while the driver
    is still preparing the run (reference, seeds); otherwise its first evaluation pays them before
    its episodes (the gateway, the program's LLM requests in the first sandbox run) or before its
    result (the reflection), while the LLM idles."""
    register_offline_provider()
    configure_litellm()
    import litellm

    try:
        litellm.completion(model="offline/reflection", messages=[{"role": "user", "content": "warm-up"}],
                           temperature=0.0, max_tokens=16, seed=0)
    except Exception as exc:  # noqa: BLE001 - a warm-up only: the first evaluation then pays the set-up (an actor raising here would restart forever)
        log.warning("LLM client warm-up failed: %s", exc)


def close_worker_context() -> None:
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is not None:
            _CONTEXT.close()
            _CONTEXT = None


def _evaluate(job: EvaluationJob, cache_dir: Path | None) -> EvaluationOutcome:
    context = worker_context(job, cache_dir)
    future = asyncio.run_coroutine_threadsafe(
        evaluate_program(job, context.gateway, context.pool, context.reference), context.loop
    )
    return future.result()


def run_job(job: EvaluationJob) -> EvaluationOutcome:
    """Evaluate in this process, on the driver's machine (inline executor, `evopersona score`)."""
    cache = job.config.ray.worker_llm_cache
    return _evaluate(job, run_cache_dir(job.config) if cache == "node" else None)


_SHARED: dict[str, RunContext | Task] = {}


def _shared(digest: str, refs: dict[str, Any], kind: type[RunContext | Task]) -> Any:
    """A run context or task by digest: parsed once per process, fetched from the object store on first use."""
    if digest not in _SHARED:
        import ray

        _SHARED[digest] = kind.model_validate_json(ray.get(refs[digest]))
    return _SHARED[digest]


def _reference_dir(digest: str, refs: dict[str, Any]) -> Path:
    """The reference folder on this node, unpacked from the object store on the node's first job."""
    folder = unpacked_path(digest)
    if folder.is_dir():
        return folder
    import ray

    return unpack_bundle(FolderBundle(digest=digest, data=ray.get(refs[digest])))


def run_ticket(ticket_json: str, refs: dict[str, Any]) -> str:
    """The Ray task: a ticket plus object refs keyed by digest (nested in a dict, so Ray does not fetch
    them eagerly: the worker fetches only what its caches miss). JSON out."""
    ticket = JobTicket.model_validate_json(ticket_json)
    context: RunContext = _shared(ticket.context_digest, refs, RunContext)
    job = EvaluationJob(
        program_id=ticket.program_id, code=ticket.code, personas_per_task=ticket.personas_per_task, seed=ticket.seed,
        reflect=ticket.reflect, config=context.config, tasks=[_shared(d, refs, Task) for d in ticket.task_digests],
        reference_dir=str(_reference_dir(ticket.reference_digest, refs)),
    )
    return _evaluate(job, node_cache_dir(context)).model_dump_json()
