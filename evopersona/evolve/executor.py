"""Where evaluations run: Ray tasks (local cluster by default, or a cluster) or inline threads.

Both executors take an `EvaluationJob` and give back an `EvaluationOutcome`; the driver awaits them
and stays the only writer of the database. Generated programs never run here: the worker runs them
in its sandbox pool.

On Ray, nothing a worker needs is read from the driver's disk: the run context (configuration), each
task and the packed fitness reference are put in the object store once, keyed by content hash, and
a job travels as a small `JobTicket` naming them by digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path
from typing import Any, Protocol

from evopersona.config import RayConfig, RunConfig
from evopersona.errors import WorkFailed
from evopersona.evaluation.bundle import pack_folder
from evopersona.evaluation.models import (
    EvaluationJob,
    EvaluationOutcome,
    JobTicket,
    RunContext,
)
from evopersona.evaluation.worker import (
    run_cache_dir,
    run_job,
    run_ticket,
    warm_llm_client,
)
from evopersona.store.models import EvaluationResult
from evopersona.tasks import Task

log = logging.getLogger(__name__)

_CPU_PROBE_S = 2.0


class Executor(Protocol):
    async def submit(self, job: EvaluationJob) -> EvaluationOutcome: ...

    def shutdown(self) -> None: ...


class InlineExecutor:
    """Runs evaluations in threads of the driver process: for debugging, no Ray involved."""

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        return await asyncio.to_thread(run_job, job)

    def shutdown(self) -> None:
        from evopersona.evaluation.worker import close_worker_context

        close_worker_context()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WorkersLost(WorkFailed):
    """The cluster has no worker CPU left: evaluations would wait forever. In-flight ones stay re-runnable."""


class _EvaluationActor:
    """A Ray worker process whose threads each run one evaluation, all sharing its worker context.

    It starts when the executor is made (before the driver builds the reference and the seeds) and
    builds its LLM client's lazy state then, not in its first evaluation."""

    def __init__(self) -> None:
        warm_llm_client()

    def run(self, ticket_json: str, refs: dict[str, Any]) -> str:
        return run_ticket(ticket_json, refs)


class _ActorSlots:
    """One threaded actor per CPU of the local Ray, each running up to `ray.evaluations_per_cpu`
    evaluations at once; a job goes to the actor with the fewest running. The evaluations of an
    actor share its warm worker context (sandbox pool, gateway, fitness reference)."""

    def __init__(self, ray: Any, config: RayConfig) -> None:
        actor = ray.remote(num_cpus=1, max_concurrency=config.evaluations_per_cpu, max_restarts=-1,
                           max_task_retries=config.max_retries)(_EvaluationActor)
        self._ray = ray
        self._actors = [actor.remote() for _ in range(max(1, int(ray.cluster_resources().get("CPU", 1))))]
        self._running = [0] * len(self._actors)

    def call(self, ticket_json: str, refs: dict[str, Any]) -> tuple[Any, int]:
        slot = self._running.index(min(self._running))
        self._running[slot] += 1
        return self._actors[slot].run.remote(ticket_json, refs), slot

    def release(self, slot: int) -> None:
        self._running[slot] -= 1

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)


class RayExecutor:
    """Evaluations as Ray tasks, retried when a worker process or node dies.

    With `ray.evaluations_per_cpu` = 1 a worker runs one evaluation at a time, and the LLM idles
    through that evaluation's CPU stages (sandbox runs, fitness, reflection, result return). With
    more, a CPU runs that many at once, so the next evaluation's sandbox runs and episodes overlap
    the CPU stages of the one before: on a local Ray as threads of one actor per CPU (sharing its
    warm worker context), on a cluster as tasks asking for 1 / evaluations_per_cpu of a CPU (one
    process each, so that tasks still spread over whichever nodes have room). bench/evolve.py
    measures the LLM busy share both ways; the default is 2 (bench/README.md has the figures)."""

    def __init__(self, config: RayConfig) -> None:
        import ray

        self._ray = ray
        self._owns_ray = False
        if not ray.is_initialized():
            try:
                if config.address:
                    ray.init(address=config.address, log_to_driver=False, logging_level=logging.WARNING)
                else:
                    ray.init(
                        num_cpus=config.num_cpus,
                        include_dashboard=False,
                        log_to_driver=False,
                        logging_level=logging.WARNING,
                    )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise WorkFailed(f"could not start or join Ray (address={config.address!r}): {exc}") from None
            self._owns_ray = True
        self._local = config.address is None
        self._remote = ray.remote(max_retries=config.max_retries, num_cpus=1 / config.evaluations_per_cpu)(run_ticket)
        self._slots = _ActorSlots(ray, config) if self._local and config.evaluations_per_cpu > 1 else None
        self._refs: dict[str, Any] = {}
        self._context: tuple[RunConfig, str] | None = None
        self._tasks: dict[int, tuple[Task, str]] = {}
        self._references: dict[str, str] = {}
        self._lost_after = config.workers_lost_after_s
        self._cpu_seen_at = time.monotonic()
        self._cpu_checked_at = 0.0

    def _put(self, digest: str, value: str | bytes) -> str:
        if digest not in self._refs:
            self._refs[digest] = self._ray.put(value)
        return digest

    def _context_digest(self, config: RunConfig) -> str:
        """One object per run configuration (the engine passes the same object every time)."""
        if self._context is None or self._context[0] is not config:
            cache = str(run_cache_dir(config)) if self._local else None
            text = RunContext(config=config, llm_cache_dir=cache).model_dump_json()
            self._context = (config, self._put(_digest(text), text))
        return self._context[1]

    def _task_digest(self, task: Task) -> str:
        known = self._tasks.get(id(task))
        if known is None or known[0] is not task:
            text = task.model_dump_json()
            known = self._tasks[id(task)] = (task, self._put(_digest(text), text))
        return known[1]

    def _reference_digest(self, reference_dir: str) -> str:
        if reference_dir not in self._references:
            bundle = pack_folder(Path(reference_dir))
            self._references[reference_dir] = self._put(bundle.digest, bundle.data)
        return self._references[reference_dir]

    def ticket(self, job: EvaluationJob) -> tuple[JobTicket, dict[str, Any]]:
        """The job as it travels: digests of shared parts (put in the object store on first use) + refs."""
        ticket = JobTicket(
            program_id=job.program_id, code=job.code, personas_per_task=job.personas_per_task, seed=job.seed,
            reflect=job.reflect, context_digest=self._context_digest(job.config),
            task_digests=[self._task_digest(t) for t in job.tasks], reference_digest=self._reference_digest(job.reference_dir),
        )
        digests = {ticket.context_digest, ticket.reference_digest, *ticket.task_digests}
        return ticket, {d: self._refs[d] for d in digests}

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        ticket, refs = self.ticket(job)
        slot = None
        if self._slots is None:
            ref = self._remote.remote(ticket.model_dump_json(), refs)
        else:
            ref, slot = self._slots.call(ticket.model_dump_json(), refs)
        try:
            payload = await self._await(ref, force=slot is None)
        except self._ray.exceptions.RayError as exc:
            failure = EvaluationResult(status="failed", error=f"worker failure after retries: {exc}")
            return EvaluationOutcome(program_id=job.program_id, stage="complete", result=failure)
        finally:
            if slot is not None:
                self._slots.release(slot)
        return EvaluationOutcome.model_validate_json(payload)

    def _cluster_has_cpu(self) -> bool:
        """Whether some alive node offers CPUs (checked at most every few seconds, shared by all jobs)."""
        now = time.monotonic()
        if now - self._cpu_checked_at >= _CPU_PROBE_S:
            self._cpu_checked_at = now
            if self._ray.cluster_resources().get("CPU", 0) > 0:
                self._cpu_seen_at = now
        return now - self._cpu_seen_at < self._lost_after

    async def _await(self, ref: Any, force: bool) -> str:
        """The task's result; raises WorkersLost when the cluster has had no CPU for `workers_lost_after_s`
        (Ray would otherwise keep the task pending forever). Actor tasks cannot be cancelled by force."""
        future = asyncio.wrap_future(ref.future())
        while True:
            done, _ = await asyncio.wait({future}, timeout=_CPU_PROBE_S)
            if done:
                return future.result()
            if not self._cluster_has_cpu():
                self._ray.cancel(ref, force=force)
                raise WorkersLost(f"the Ray cluster has had no worker CPU for {self._lost_after:.0f} s (worker nodes stopped or lost)")

    def shutdown(self) -> None:
        if self._slots is not None:
            self._slots.close()
        if self._owns_ray:
            self._ray.shutdown()


def make_executor(config: RayConfig) -> InlineExecutor | RayExecutor:
    return InlineExecutor() if config.executor == "inline" else RayExecutor(config)
