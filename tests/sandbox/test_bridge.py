"""The llm bridge: requests travel to the parent's handler and answers come back, seeded."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from evopersona.errors import WorkFailed
from evopersona.generator import ProgramFailed
from evopersona.sandbox.bridge import BridgeRequest, gateway_handler
from tests.sandbox.conftest import TASK

ECHO = '''
import json
AXES = []

def generate(task, n, llm, rng):
    one = json.loads(llm.complete("hello " + task["id"], system="sys", temperature=0.5))
    many = [json.loads(t) for t in llm.complete_many(["p%d" % i for i in range(n - 1)], max_tokens=50)]
    out = [one] + many
    return [{"persona_id": "r%d" % i, "description": "d", "axis_placement": {},
             "policy": "%s|%s|%s|%s" % (o["prompt"], o["system"], o["seed"], o["temperature"])} for i, o in enumerate(out)]
'''


def test_requests_reach_handler_and_answers_return(pool):
    records = pool.run(ECHO, TASK, 3, 7).records
    prompts = [r.policy.split("|") for r in records]
    assert prompts[0][:2] == ["hello t1", "sys"] and prompts[0][3] == "0.5"
    assert [p[0] for p in prompts[1:]] == ["p0", "p1"] and prompts[1][1] == "None"
    assert len({p[2] for p in prompts}) == 3  # each request has its own seed
    again = pool.run(ECHO, TASK, 3, 7).records
    assert again == records  # same run seed, same request seeds


def test_handler_failure_reaches_the_caller(pool):
    def failing(requests):
        raise WorkFailed("budget exhausted")

    with pytest.raises(WorkFailed, match="budget exhausted"):
        pool.run(ECHO, TASK, 2, 0, handler=failing)
    assert len(pool.run(ECHO, TASK, 2, 0).records) == 2


def test_program_without_handler_fails_clearly():
    from evopersona.sandbox.pool import SandboxPool
    from tests.sandbox.conftest import LIMITS

    with SandboxPool(LIMITS) as p, pytest.raises(RuntimeError, match="no LLM handler"):
        p.run(ECHO, TASK, 2, 0)


def test_bridge_rejects_bad_arguments(pool):
    src = "AXES = []\ndef generate(task, n, llm, rng):\n    return llm.complete(42)\n"
    with pytest.raises(ProgramFailed, match="must be strings"):
        pool.run(src, TASK, 1, 0)


@dataclass
class _Completion:
    text: str


class _RecordingGateway:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.in_flight = 0
        self.peak = 0

    async def acomplete(self, role, messages, *, temperature=None, max_tokens=None, seed=None):
        self.calls.append((role, messages, temperature, max_tokens, seed))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return _Completion(json.dumps({"prompt": messages[-1]["content"], "system": None, "seed": seed,
                                       "temperature": temperature}))


def test_gateway_handler_serves_a_batch_concurrently_with_role_generator(pool):
    gateway = _RecordingGateway()
    records = pool.run(ECHO, TASK, 4, 1, handler=gateway_handler(gateway)).records
    assert len(records) == 4
    assert {c[0] for c in gateway.calls} == {"generator"}
    assert gateway.peak == 3  # the three complete_many prompts were in flight together
    assert all(isinstance(c[4], int) for c in gateway.calls)
    assert BridgeRequest.model_validate({"messages": [{"role": "user", "content": "x"}], "seed": 1}).seed == 1
