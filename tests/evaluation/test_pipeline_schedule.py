"""The cascade's scheduling: a task's episodes start as soon as its personas exist, and an evaluation
that fails while episodes run stops them (no conversation outlives its evaluation)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from evopersona.config import load_config
from evopersona.evaluation.models import EvaluationJob
from evopersona.evaluation.pipeline import evaluate_program
from evopersona.llm.factory import make_gateway
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

QUICKSTART = Path(__file__).resolve().parents[2] / "runs" / "quickstart.toml"

FAILS_ON_SECOND_TASK = '''
NO_PERSONA = False
AXES = []


def generate(task, n, llm, rng):
    if task["id"] == SECOND:
        raise ValueError("this program cannot handle the second task")
    return [{"persona_id": f"p{i}", "description": "A terse person.", "axis_placement": {},
             "policy": "Write short lowercase messages."} for i in range(n)]
'''


class RecordingGateway:
    """The real offline gateway, slowed to a fixed latency, recording when each call starts and ends."""

    def __init__(self, inner: Any, latency_s: float) -> None:
        self.inner, self.latency_s = inner, latency_s
        self.started: list[tuple[str, float]] = []
        self.finished: list[tuple[str, float]] = []

    async def acomplete(self, role: str, messages: list[dict[str, str]], **kwargs: Any) -> Any:
        self.started.append((role, time.monotonic()))
        await asyncio.sleep(self.latency_s)
        answer = await self.inner.acomplete(role, messages, **kwargs)
        self.finished.append((role, time.monotonic()))
        return answer


def test_later_task_failure_stops_the_first_tasks_running_episodes(tmp_path: Path):
    tasks = load_domain("retail")[:2]
    config = load_config(QUICKSTART, [f"runs_dir={tmp_path}", "episodes.max_turns=20", "sandbox.pool_size=1"])
    code = FAILS_ON_SECOND_TASK.replace("SECOND", repr(tasks[1].id))
    job = EvaluationJob(program_id=1, code=code, tasks=tasks, personas_per_task=2, seed=0, config=config,
                        reference_dir=str(tmp_path / "unused-reference"))

    async def scenario() -> tuple[Any, RecordingGateway, float, list[asyncio.Task[Any]]]:
        inner = make_gateway(config)
        gateway = RecordingGateway(inner, latency_s=0.2)
        start = time.monotonic()
        with SandboxPool(config.sandbox) as pool:
            outcome = await evaluate_program(job, gateway, pool, reference=None)  # type: ignore[arg-type]
        elapsed = time.monotonic() - start
        await asyncio.sleep(0.5)
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await inner.aclose()
        return outcome, gateway, elapsed, leftovers

    outcome, gateway, elapsed, leftovers = asyncio.run(scenario())
    assert outcome.stage == "generation" and outcome.result.status == "failed"
    assert "second task" in (outcome.result.error or "")
    # the first task's conversations had started before the second task's generation failed...
    assert any(role == "user" for role, _ in gateway.started)
    # ...and were stopped with the evaluation: 20 turns x 2 roles x 0.2 s would take 8 s per episode
    assert elapsed < 4.0
    assert not leftovers
    assert len(gateway.finished) <= len(gateway.started) < 2 * 2 * 20
