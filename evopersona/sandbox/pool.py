"""A pool of reusable sandbox workers and the parent's half of each call.

Spawning a confined interpreter costs tens of milliseconds, so workers are kept and reused; a worker
that crashes, overruns its time or floods the pipe is killed with its whole process group and
replaced on the next call. The wall-clock budget counts only the child's time: while the parent is
serving the program's LLM requests the clock is paused, since that latency is not the program's.

Async callers use `arun`, which runs the call on the pool's own threads, one per slot. A call waits
for a slot in that executor's queue, never in a thread of the event loop's default executor: the
program's LLM requests are served on the caller's loop (`gateway_handler(gateway, loop)`), where
litellm runs part of every call on that default executor. Sandbox calls sent there with
`asyncio.to_thread` once took all its threads (6 on two cores), each waiting for a slot held by a
program waiting for an LLM answer that needed a thread, and the evaluation never finished.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import os
import pwd
import queue
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError

from evopersona.config import SandboxConfig
from evopersona.generator import (
    ContractViolation,
    ProgramFailed,
    ProgramOutput,
    validate_output,
)
from evopersona.sandbox import limits
from evopersona.sandbox.bridge import BridgeRequest, Handler, no_llm_handler
from evopersona.sandbox.gate import check_source
from evopersona.sandbox.layers import LayerReport, SandboxUnavailable, announce
from evopersona.sandbox.protocol import (
    MAX_CACHED_PROGRAMS,
    FrameError,
    FrameTimeout,
    FrameTooLarge,
    decode,
    read_frame,
    spin_until_readable,
    write_frame,
)
from evopersona.sandbox.shared import SharedBuffer

SPAWN_TIMEOUT_S = 30.0
FRAME_SLACK_BYTES = 64 * 1024
SPIN_S = 0.001  # how long the parent polls for a worker's answer before sleeping (protocol.spin_until_readable)
APPROVED_CACHE = 256
DIGEST_MEMO = 32
_SIGNAL_REASONS = {
    signal.SIGXCPU: ("cpu", "CPU time limit of {cpu}s exceeded"),
    signal.SIGKILL: ("crashed", "the worker was killed (likely out of memory)"),
    signal.SIGSEGV: ("crashed", "the worker crashed (segmentation fault)"),
    signal.SIGXFSZ: ("crashed", "the worker exceeded the file size limit"),
}


class WorkerProcess:
    """One confined `python -I -B -m evopersona.sandbox.worker` child and its private directory, and the
    hashes of the programs it holds loaded (a job for one of those goes without the source)."""

    def __init__(self, config: SandboxConfig, module: str = "evopersona.sandbox.worker") -> None:
        self.config = config
        self.max_frame_bytes = config.max_output_bytes + FRAME_SLACK_BYTES
        self.programs: OrderedDict[str, None] = OrderedDict()  # hashes of programs this worker has loaded
        self.workdir: Path = limits.make_workdir()
        self.log = open(self.workdir / "worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
        self.results = SharedBuffer(self.max_frame_bytes)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-m", module],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, pass_fds=(self.results.fd,),
                env=limits.minimal_env(self.workdir), cwd=self.workdir, start_new_session=True, close_fds=True,
            )
        finally:
            self.results.handed_over()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.fd_in, self.fd_out = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        os.set_blocking(self.fd_in, False)
        required = limits.required_layers(os.geteuid() == 0, list(config.allow_weaker))
        settings = {"type": "settings", "workdir": str(self.workdir), "memory_mb": config.memory_mb,
                    "max_frame_bytes": self.max_frame_bytes, "required_layers": required,
                    "results_fd": self.results.fd, "results_bytes": self.results.size}
        try:
            write_frame(self.fd_out, settings)
            ready = read_frame(self.fd_in, self.max_frame_bytes, time.monotonic() + SPAWN_TIMEOUT_S)
        except (FrameError, FrameTimeout, OSError) as exc:
            self.kill()
            raise ProgramFailed("sandbox", f"the sandbox worker failed to start: {exc}") from None
        self.uid = int(ready["uid"])
        self.report = LayerReport.from_ready(pwd.getpwuid(os.geteuid()).pw_name, ready, required)
        if self.report.missing:
            self.kill()
            raise SandboxUnavailable(self.report)
        announce(self.report)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker's whole process group and remove its directory."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.log.close()
        self.results.close()
        limits.remove_workdir(self.workdir)

    def stop(self) -> None:
        """Ask the worker to exit, then make sure it did."""
        if self.alive():
            try:
                write_frame(self.fd_out, {"type": "stop"})
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _death_reason(self) -> ProgramFailed:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return ProgramFailed("crashed", "the worker stopped answering")
        if code < 0 and -code in _SIGNAL_REASONS:
            kind, text = _SIGNAL_REASONS[signal.Signals(-code)]
            return ProgramFailed(kind, text.format(cpu=self.config.cpu_seconds))
        return ProgramFailed("crashed", f"the worker exited unexpectedly (exit code {code})")

    def call(self, job: dict[str, Any], handler: Handler) -> dict[str, Any]:
        """Send one job and serve its LLM requests until the result arrives (read from the shared buffer
        when the worker put it there). Raises ProgramFailed."""
        deadline = time.monotonic() + self.config.timeout_s
        handler_error: BaseException | None = None
        try:
            write_frame(self.fd_out, job)
            while True:
                spin_until_readable(self.fd_in, SPIN_S)
                message = read_frame(self.fd_in, self.max_frame_bytes, deadline)
                if message["type"] != "llm":
                    break
                started = time.monotonic()
                reply, handler_error = self._serve(message, handler, handler_error)
                deadline += time.monotonic() - started
                write_frame(self.fd_out, reply)
            if message["type"] == "shared":
                message = decode(self.results.read(message.get("bytes")))
        except FrameTimeout:
            self.kill()
            raise ProgramFailed("timeout", f"the program ran longer than {self.config.timeout_s:g}s") from None
        except FrameTooLarge as exc:
            self.kill()
            raise ProgramFailed("output", str(exc)) from None
        except (FrameError, BrokenPipeError):
            failure = self._death_reason()
            self.kill()
            raise failure from None
        except BaseException:
            self.kill()
            raise
        if handler_error is not None:
            raise handler_error
        return message

    def run_program(self, job: dict[str, Any], source: str, handler: Handler) -> dict[str, Any]:
        """`call` for a run job (keyed by the program's hash), with the program's source only if this worker
        is not known to hold it already. What the parent knows is for speed only: a worker that lacks the
        program asks for it (once; asking again is a protocol violation the caller reports)."""
        digest = job["hash"]
        if digest in self.programs:
            self.programs.move_to_end(digest)
            reply = self.call(job, handler)
            if reply["type"] != "need_source":
                return reply
        reply = self.call({**job, "source": source}, handler)
        self.programs[digest] = None
        if len(self.programs) > MAX_CACHED_PROGRAMS:
            self.programs.popitem(last=False)
        return reply

    @staticmethod
    def _serve(message: dict[str, Any], handler: Handler,
               earlier: BaseException | None) -> tuple[dict[str, Any], BaseException | None]:
        if earlier is not None:
            return {"type": "llm_error", "reason": f"an earlier LLM request failed: {earlier}"}, earlier
        try:
            requests = [BridgeRequest.model_validate(r) for r in message.get("requests", [])]
        except ValidationError as exc:
            return {"type": "llm_error", "reason": f"invalid LLM request: {exc.errors()[0]['msg']}"}, None
        try:
            texts = handler(requests)
        except Exception as exc:  # noqa: BLE001 - re-raised to the caller once the child has stopped
            return {"type": "llm_error", "reason": f"the LLM request failed: {exc}"}, exc
        if len(texts) != len(requests) or not all(isinstance(t, str) for t in texts):
            raise TypeError("the LLM handler must return one string per request")
        return {"type": "llm_result", "texts": texts}, None


class SandboxPool:
    """Runs generator programs in reusable confined workers; safe to call from several threads."""

    def __init__(self, config: SandboxConfig | None = None, handler: Handler | None = None) -> None:
        self.config = config or SandboxConfig()
        self.handler = handler or no_llm_handler
        # Idle slots, most recently used last (its worker is the warmest), and one token per idle slot:
        # a C-level queue, where a LifoQueue's Python locking cost ~10 us a call.
        self._idle: list[WorkerProcess | None] = [None] * self.config.pool_size
        self._free: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(self.config.pool_size):
            self._free.put(None)
        self.spawned = 0
        self._approved: dict[str, None] = {}
        self._digests: dict[str, str] = {}
        self._threads = ThreadPoolExecutor(max_workers=self.config.pool_size, thread_name_prefix="sandbox")

    def run(self, source: str, task: dict[str, Any], n: int, seed: int,
            handler: Handler | None = None) -> ProgramOutput:
        """Gate, run and validate one `generate(task, n, llm, rng)` call. Raises ProgramFailed."""
        digest = self._digests.get(source)
        if digest is None:
            digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
            if digest not in self._approved:
                check_source(source)
                self._approved[digest] = None
                if len(self._approved) > APPROVED_CACHE:
                    self._approved.pop(next(iter(self._approved)))
            self._digests[source] = digest
            if len(self._digests) > DIGEST_MEMO:
                self._digests.pop(next(iter(self._digests)))
        job = {"type": "run", "hash": digest, "task": task, "n": n, "seed": seed,
               "cpu_seconds": self.config.cpu_seconds, "max_output_bytes": self.config.max_output_bytes}
        reply = self._call(job, source, handler or self.handler)
        if reply["type"] == "error" and reply.get("kind") == "contract":
            raise ContractViolation(str(reply.get("reason", "")))
        if reply["type"] == "error":
            raise ProgramFailed(str(reply.get("kind", "program_error")), str(reply.get("reason", "")))
        # A worker that leaves a field out fails this call's contract check, not the caller with a KeyError.
        return validate_output(reply.get("axes"), reply.get("no_persona"), reply.get("records"), n)

    async def arun(self, source: str, task: dict[str, Any], n: int, seed: int) -> ProgramOutput:
        """`run` from async code, on the pool's own threads (see the module docstring). The caller's
        context travels with the call, as with `asyncio.to_thread`, so the program's LLM calls land in
        the caller's ledger."""
        call = functools.partial(contextvars.copy_context().run, self.run, source, task, n, seed)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    def _take(self) -> WorkerProcess | None:
        self._free.get()
        return self._idle.pop()

    def _give(self, worker: WorkerProcess | None) -> None:
        self._idle.append(worker)
        self._free.put(None)

    def _call(self, job: dict[str, Any], source: str, handler: Handler) -> dict[str, Any]:
        worker = self._take()
        answered = False
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    worker.kill()
                worker = None
                worker = WorkerProcess(self.config)
                self.spawned += 1
            reply = worker.run_program(job, source, handler)
            if reply["type"] not in ("result", "error"):
                worker.kill()
                worker = None
                raise ProgramFailed("crashed", f"unexpected message '{reply['type']}' from the worker")
            answered = True
            return reply
        finally:
            # A worker that just answered is alive; one that dies later is found before its next call.
            self._give(worker if worker is not None and (answered or worker.alive()) else None)

    def close(self) -> None:
        self._threads.shutdown(wait=False)
        for _ in range(self.config.pool_size):
            worker = self._take()
            if worker is not None:
                worker.stop()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
