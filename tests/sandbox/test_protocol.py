"""The job protocol: a worker gets a program's source only when it does not hold the program, a worker
that breaks the protocol fails only its own call, the encoder's fast option changes no frame, and the
parent's bounded poll for an answer reports what the pipe holds."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from evopersona.generator import ContractViolation, ProgramFailed
from evopersona.sandbox import pool as pool_module
from evopersona.sandbox.gate import GateRejected
from evopersona.sandbox.pool import SandboxPool, WorkerProcess
from evopersona.sandbox.protocol import (
    MAX_CACHED_PROGRAMS,
    dumps,
    spin_until_readable,
)
from tests.sandbox.conftest import GOOD, LIMITS, TASK, echo_handler


class RecordingWorker(WorkerProcess):
    """A real worker that keeps each job it is sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[dict[str, Any]] = []

    def call(self, job: dict[str, Any], handler: Any) -> dict[str, Any]:
        self.sent.append(job)
        return super().call(job, handler)


@pytest.fixture
def worker() -> Iterator[RecordingWorker]:
    w = RecordingWorker(LIMITS)
    yield w
    w.stop()


def job_for(source: str, seed: int = 0) -> dict[str, Any]:
    return {"type": "run", "hash": hashlib.sha256(source.encode()).hexdigest(), "task": TASK, "n": 2, "seed": seed,
            "cpu_seconds": LIMITS.cpu_seconds, "max_output_bytes": LIMITS.max_output_bytes}


def test_a_held_program_is_sent_by_hash_alone(worker):
    first = worker.run_program(job_for(GOOD, 1), GOOD, echo_handler)
    second = worker.run_program(job_for(GOOD, 1), GOOD, echo_handler)
    assert first["type"] == "result" and second == first
    assert ["source" in job for job in worker.sent] == [True, False]


def test_a_worker_without_the_program_asks_for_it_whatever_the_parent_believes(worker):
    job = job_for(GOOD)
    worker.programs[job["hash"]] = None  # the parent's belief is wrong: this worker never loaded it
    reply = worker.run_program(job, GOOD, echo_handler)
    assert reply["type"] == "result" and len(reply["records"]) == 2
    assert ["source" in sent for sent in worker.sent] == [False, True]


def test_the_parent_forgets_programs_as_the_worker_evicts_them(worker):
    sources = [GOOD + f"\nVERSION = {i}\n" for i in range(MAX_CACHED_PROGRAMS + 1)]
    for source in sources:
        assert worker.run_program(job_for(source), source, echo_handler)["type"] == "result"
    worker.sent.clear()
    assert worker.run_program(job_for(sources[0]), sources[0], echo_handler)["type"] == "result"
    assert worker.run_program(job_for(sources[-1]), sources[-1], echo_handler)["type"] == "result"
    assert ["source" in job for job in worker.sent] == [True, False]  # the oldest was evicted on both sides


def test_a_worker_that_keeps_asking_for_the_source_fails_only_its_call(monkeypatch):
    monkeypatch.setattr(pool_module, "WorkerProcess", functools.partial(WorkerProcess, module="tests.sandbox.needy_child"))
    with SandboxPool(LIMITS) as pool:
        with pytest.raises(ProgramFailed) as info:
            pool.run(GOOD, TASK, 2, 0)
        assert info.value.kind == "crashed" and "need_source" in info.value.reason
        monkeypatch.setattr(pool_module, "WorkerProcess", WorkerProcess)
        assert len(pool.run(GOOD, TASK, 2, 0).records) == 2  # the liar was killed; a real worker serves


def test_a_result_without_its_fields_fails_only_its_call(monkeypatch):
    monkeypatch.setattr(pool_module, "WorkerProcess", functools.partial(WorkerProcess, module="tests.sandbox.partial_child"))
    with SandboxPool(LIMITS) as pool, pytest.raises(ContractViolation, match="NO_PERSONA must be True or False"):
        pool.run(GOOD, TASK, 2, 0)


def test_a_rejected_program_is_rejected_every_time():
    source = GOOD + "\nimport os\n"
    with SandboxPool(LIMITS) as pool:
        for _ in range(2):
            with pytest.raises(GateRejected):
                pool.run(source, TASK, 2, 0)
        assert pool.spawned == 0


@pytest.mark.parametrize("message", [
    {"type": "result", "records": [{"persona_id": "p", "axis_placement": {"terse": True}, "policy": "é\u2028"}]},
    {"type": "result", "nested": {"a": [1, 2.5, None, True, {"b": "c"}]}},
])
def test_frames_are_the_same_as_with_every_key_type_allowed(message):
    assert dumps(message) == orjson.dumps(message, option=orjson.OPT_PASSTHROUGH_DATACLASS
                                          | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS)


def test_non_string_keys_still_become_strings_and_other_data_still_fails():
    assert dumps({"type": "result", "axis_placement": {1: True, "a": False}}) == \
        b'{"type":"result","axis_placement":{"1":true,"a":false}}'
    with pytest.raises(TypeError):
        dumps({"type": "result", "records": [object()]})


def test_the_bounded_poll_sees_a_waiting_frame_a_closed_peer_and_an_empty_pipe():
    read_end, write_end = os.pipe()
    try:
        assert spin_until_readable(read_end, 0.001) is False
        os.write(write_end, b"x")
        assert spin_until_readable(read_end, 0.0) is True
        assert os.read(read_end, 1) == b"x"
        os.close(write_end)
        write_end = -1
        assert spin_until_readable(read_end, 0.001) is True  # end of file: the reader then finds the peer gone
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
