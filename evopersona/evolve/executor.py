"""Where evaluations run: Ray tasks (local cluster by default, or a cluster) or inline threads.

Both executors take an `EvaluationJob` and give back an `EvaluationOutcome`; the driver awaits them
and stays the only writer of the database. Generated programs never run here: the worker runs them
in its sandbox pool.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from evopersona.config import RayConfig
from evopersona.errors import WorkFailed
from evopersona.evaluation.models import EvaluationJob, EvaluationOutcome
from evopersona.evaluation.worker import run_job_json
from evopersona.store.models import EvaluationResult

log = logging.getLogger(__name__)


class Executor(Protocol):
    async def submit(self, job: EvaluationJob) -> EvaluationOutcome: ...

    def shutdown(self) -> None: ...


class InlineExecutor:
    """Runs evaluations in threads of the driver process: for debugging, no Ray involved."""

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        return EvaluationOutcome.model_validate_json(await asyncio.to_thread(run_job_json, job.model_dump_json()))

    def shutdown(self) -> None:
        from evopersona.evaluation.worker import close_worker_context

        close_worker_context()


class RayExecutor:
    """Evaluations as Ray tasks, retried when a worker process dies."""

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
        self._remote = ray.remote(max_retries=config.max_retries, num_cpus=1)(run_job_json)

    async def submit(self, job: EvaluationJob) -> EvaluationOutcome:
        ref = self._remote.remote(job.model_dump_json())
        try:
            payload = await ref
        except self._ray.exceptions.RayError as exc:
            failure = EvaluationResult(status="failed", error=f"worker failure after retries: {exc}")
            return EvaluationOutcome(program_id=job.program_id, stage="complete", result=failure)
        return EvaluationOutcome.model_validate_json(payload)

    def shutdown(self) -> None:
        if self._owns_ray:
            self._ray.shutdown()


def make_executor(config: RayConfig) -> InlineExecutor | RayExecutor:
    return InlineExecutor() if config.executor == "inline" else RayExecutor(config)
