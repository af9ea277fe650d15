"""Fixtures: a small sandbox pool, a probe worker that bypasses the gate, sample programs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from evopersona.config import SandboxConfig
from evopersona.sandbox.bridge import BridgeRequest
from evopersona.sandbox.pool import SandboxPool, WorkerProcess

TASK = {"id": "t1", "domain": "retail", "reason_for_call": "exchange a lamp", "known_info": "name Ann Lee",
        "unknown_info": "", "task_instructions": "", "scenario": "Reason for call: exchange a lamp"}

GOOD = '''
AXES = [{"name": "terse", "definition": "short", "on": "be short", "off": "be long"}]

def generate(task, n, llm, rng):
    return [{"persona_id": "p%d" % i, "description": "a person", "axis_placement": {"terse": rng.random() < 0.5},
             "policy": "keep it short"} for i in range(n)]
'''

LIMITS = SandboxConfig(timeout_s=5, cpu_seconds=2, memory_mb=256, max_output_bytes=200_000, pool_size=1)
PROBE_LIMITS = LIMITS.model_copy(update={"timeout_s": 60})  # probes assert on what fails, not on speed


def echo_handler(requests: list[BridgeRequest]) -> list[str]:
    """A plain handler: answers each request with its prompt, seed and settings."""
    return [json.dumps({"prompt": r.messages[-1].content, "system": r.messages[0].content if len(r.messages) > 1
                        else None, "seed": r.seed, "temperature": r.temperature}) for r in requests]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(LIMITS, echo_handler) as p:
        yield p


class Probe:
    """Runs raw module code (it sets `result`) in a real worker whose gate and namespace are off."""

    def __init__(self, config: SandboxConfig = PROBE_LIMITS) -> None:
        self.worker = WorkerProcess(config, module="tests.sandbox.probe_child")
        self.calls = 0

    def run(self, code: str) -> dict[str, Any]:
        """{"type": "result", "body": JSON of `result`} or {"type": "error", "kind": exception name, ...}."""
        self.calls += 1
        source = code + "\nAXES = []\ndef generate(task, n, llm, rng):\n    return result\n"
        job = {"type": "run", "hash": f"probe-{self.calls}", "source": source, "task": {}, "n": 0, "seed": 0,
               "cpu_seconds": LIMITS.cpu_seconds, "max_output_bytes": LIMITS.max_output_bytes}
        reply = self.worker.call(job, echo_handler)
        if reply["type"] == "result":
            return {"type": "result", "body": json.dumps(reply["records"])}
        reason = str(reply.get("reason", ""))
        exception = reason.removeprefix("loading the program failed: ").split(":")[0].split(" (program")[0]
        return {"type": "error", "kind": exception, "reason": reason}


FAKE_KEY = "sk-fake-parent-secret-123"


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    """A probe spawned while the parent holds a fake API key and proxy in its environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", FAKE_KEY)
        mp.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        p = Probe()
        yield p
    p.worker.stop()
