"""The shared result buffer: its size is sealed, and a worker that lies about what it wrote only fails
its own call."""

from __future__ import annotations

import os

import pytest

from evopersona.generator import ProgramFailed
from evopersona.sandbox.pool import WorkerProcess
from evopersona.sandbox.protocol import FrameError, FrameTooLarge
from evopersona.sandbox.shared import SharedBuffer
from tests.sandbox.conftest import LIMITS, echo_handler


def test_buffer_size_is_sealed_and_reads_are_bounded():
    buffer = SharedBuffer(4096)
    try:
        for size in (0, 8192):
            with pytest.raises(PermissionError):
                os.ftruncate(buffer.fd, size)
        with pytest.raises(FrameTooLarge):
            buffer.read(4097)
        for size in (-1, True, "12", None):
            with pytest.raises(FrameError):
                buffer.read(size)
        assert buffer.read(0) == b""
    finally:
        buffer.handed_over()
        buffer.close()


@pytest.mark.parametrize(("announced", "kind"), [(10**9, "output"), (7, "crashed"), ("7", "crashed")])
def test_a_lying_worker_fails_its_call_and_cannot_resize_the_buffer(announced, kind):
    worker = WorkerProcess(LIMITS, module="tests.sandbox.shared_child")  # exits at start-up if it could resize
    source = f"AXES = []\ndef generate(task, n, llm, rng):\n    return [{announced!r}]\n"
    job = {"type": "run", "hash": "liar", "source": source, "task": {}, "n": 1, "seed": 0,
           "cpu_seconds": LIMITS.cpu_seconds, "max_output_bytes": LIMITS.max_output_bytes}
    try:
        with pytest.raises(ProgramFailed) as info:
            worker.call(job, echo_handler)
        assert info.value.kind == kind
        assert not worker.alive()
    finally:
        worker.kill()
