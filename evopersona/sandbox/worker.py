"""Worker bootstrap: `python -I -B -m evopersona.sandbox.worker`, one per pool slot, reused across calls.

It reads its settings frame, imports everything a program may use, confines itself (see limits.py),
then serves `run` frames: execute the program's module code (cached by source hash, so a repeated
program is not re-executed; a job names a program this worker is known to hold by hash alone, and a
worker that does not hold it asks for the source), call `generate`, and send back JSON: a result
through the shared buffer (shared.py) with a small pipe frame announcing it, everything else as pipe
frames. The protocol pipes are private duplicates; fds 0-2 point at /dev/null or the log so nothing a
program does can corrupt them.
"""

from __future__ import annotations

import builtins
import mmap
import os
import random
import sys
import traceback
from collections import OrderedDict
from typing import Any

from evopersona.sandbox import limits
from evopersona.sandbox.namespace import build_namespace, preload_modules
from evopersona.sandbox.protocol import (
    MAX_CACHED_PROGRAMS,
    dumps,
    read_frame,
    write_frame,
)
from evopersona.sandbox.shared import attach

PROGRAM_FILENAME = "<program>"


class BridgeError(Exception):
    """The parent could not serve an LLM request; the program may catch it or let it fail the run."""


class Channel:
    """The worker's end of the protocol pipes and of the shared result buffer."""

    __slots__ = ("_in", "_max_bytes", "_out", "_results")

    def __init__(self, fd_in: int, fd_out: int, max_bytes: int, results: mmap.mmap) -> None:
        self._in, self._out, self._max_bytes, self._results = fd_in, fd_out, max_bytes, results

    def send(self, message: dict[str, Any] | bytes) -> None:
        """A message as a pipe frame, or an encoded result through the shared buffer."""
        if isinstance(message, bytes):
            self._results[:len(message)] = message
            message = {"type": "shared", "bytes": len(message)}
        write_frame(self._out, message)

    def receive(self) -> dict[str, Any]:
        return read_frame(self._in, self._max_bytes)


def _seed_for(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index) % (2**31 - 1)


def _make_bridge(channel: Channel, seed: int) -> Any:
    """The `llm` object a program receives. Its state lives in a closure, out of the program's reach."""
    counter = [0]

    def request(prompt: Any, system: Any, temperature: Any, max_tokens: Any) -> dict[str, Any]:
        if not isinstance(prompt, str) or not (system is None or isinstance(system, str)):
            raise TypeError("llm prompts and system prompts must be strings")
        if temperature is not None and not isinstance(temperature, (int, float)):
            raise TypeError("temperature must be a number")
        if max_tokens is not None and not isinstance(max_tokens, int):
            raise TypeError("max_tokens must be an int")
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        counter[0] += 1
        return {"messages": messages, "temperature": temperature, "max_tokens": max_tokens,
                "seed": _seed_for(seed, counter[0])}

    def ask(requests: list[dict[str, Any]]) -> list[str]:
        channel.send({"type": "llm", "requests": requests})
        reply = channel.receive()
        if reply.get("type") != "llm_result":
            raise BridgeError(str(reply.get("reason", "the parent could not serve the LLM request")))
        return list(reply["texts"])

    def complete(prompt: str, *, system: str | None = None, temperature: float | None = None,
                 max_tokens: int | None = None) -> str:
        return ask([request(prompt, system, temperature, max_tokens)])[0]

    def complete_many(prompts: list[str], *, system: str | None = None, temperature: float | None = None,
                      max_tokens: int | None = None) -> list[str]:
        if not isinstance(prompts, (list, tuple)):
            raise TypeError("complete_many takes a list of prompts")
        if not prompts:
            return []
        return ask([request(p, system, temperature, max_tokens) for p in prompts])

    return _FrozenBridge(complete, complete_many)


class _FrozenBridge:
    """Exposes exactly `complete` and `complete_many`; attribute writes are refused."""

    __slots__ = ("complete", "complete_many")

    def __init__(self, complete: Any, complete_many: Any) -> None:
        object.__setattr__(self, "complete", complete)
        object.__setattr__(self, "complete_many", complete_many)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the llm bridge is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("the llm bridge is read-only")


def _describe(exc: BaseException) -> str:
    """The exception and the innermost line of the program it came from (never the worker's frames)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == PROGRAM_FILENAME]
    where = f" (program line {frames[-1].lineno})" if frames else ""
    text = str(exc)
    return f"{type(exc).__name__}: {text[:500]}{where}" if text else f"{type(exc).__name__}{where}"


def _not_serialisable(value: Any) -> Any:
    raise TypeError(f"object of type {type(value).__name__} is not JSON-serialisable")


class Runner:
    """Loads programs (cached by hash) and runs one `generate` call per frame."""

    def __init__(self, channel: Channel, modules: dict[str, dict[str, Any]], settings: dict[str, Any],
                 guarded: bool) -> None:
        self.channel = channel
        self.guarded = guarded
        self.modules = modules
        self.settings = settings
        self.programs: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def load(self, digest: str, source: str | None) -> dict[str, Any]:
        if digest in self.programs:
            self.programs.move_to_end(digest)
            return self.programs[digest]
        namespace = (build_namespace(self.modules, "generator_program") if self.guarded
                     else {"__builtins__": builtins, "__name__": "generator_program"})
        exec(compile(source, PROGRAM_FILENAME, "exec", dont_inherit=True), namespace)  # the gated, untrusted program
        self.programs[digest] = namespace
        if len(self.programs) > MAX_CACHED_PROGRAMS:
            self.programs.popitem(last=False)
        return namespace

    def run(self, job: dict[str, Any]) -> dict[str, Any] | bytes:
        """The error message, or the result message already encoded (encoding is also the JSON check).
        A job names its program by hash and carries the source only when the parent does not know this
        worker holds it; if it does not, the worker asks for it."""
        if job["hash"] not in self.programs and "source" not in job:
            return {"type": "need_source"}
        limits.arm_cpu_limit(int(job["cpu_seconds"]))
        try:
            namespace = self.load(job["hash"], job.get("source"))
        except MemoryError:
            return {"type": "error", "kind": "memory", "reason": "memory limit exceeded while loading the program"}
        except BaseException as exc:  # noqa: BLE001 - any failure of untrusted code is reported, not raised
            return {"type": "error", "kind": "program_error", "reason": f"loading the program failed: {_describe(exc)}"}
        for symbol in ("AXES", "generate"):
            if symbol not in namespace:
                return {"type": "error", "kind": "contract", "reason": f"program does not define `{symbol}`"}
        if not callable(namespace["generate"]):
            return {"type": "error", "kind": "contract", "reason": "`generate` is not callable"}
        rng = random.Random(job["seed"])
        bridge = _make_bridge(self.channel, job["seed"])
        try:
            records = namespace["generate"](job["task"], job["n"], bridge, rng)
        except MemoryError:
            return {"type": "error", "kind": "memory", "reason": f"memory limit of {self.settings['memory_mb']} MB exceeded"}
        except RecursionError as exc:
            return {"type": "error", "kind": "recursion", "reason": _describe(exc)}
        except BaseException as exc:  # noqa: BLE001 - any failure of untrusted code is reported, not raised
            return {"type": "error", "kind": "program_error", "reason": _describe(exc)}
        try:
            body = dumps({"type": "result", "axes": namespace["AXES"],
                          "no_persona": namespace.get("NO_PERSONA", False), "records": records},
                         default=_not_serialisable)
        except MemoryError:
            return {"type": "error", "kind": "memory", "reason": "memory limit exceeded while serialising the output"}
        except (TypeError, ValueError, RecursionError) as exc:
            return {"type": "error", "kind": "contract", "reason": f"output is not plain JSON data: {exc}"}
        if len(body) > job["max_output_bytes"]:
            return {"type": "error", "kind": "output",
                    "reason": f"output of {len(body)} bytes exceeds the {job['max_output_bytes']}-byte limit"}
        return body


def main(guarded: bool = True) -> None:
    """Serve jobs. `guarded=False` (programs get real builtins and modules) is reachable only by
    calling this from another module, as the OS-layer tests do; `python -m` always runs guarded."""
    fd_in, fd_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    settings = read_frame(fd_in, 1 << 20)
    results = attach(int(settings["results_fd"]), int(settings["results_bytes"]))
    modules = preload_modules()
    report = limits.confine(settings)
    missing = [layer for layer in settings["required_layers"] if not report["layers"][layer]]
    channel = Channel(fd_in, fd_out, int(settings["max_frame_bytes"]), results)
    channel.send({"type": "ready", **report, "uid": os.getuid()})
    if missing:
        return  # the parent reports it; no program runs in a weaker sandbox than required
    runner = Runner(channel, modules, settings, guarded)
    sys.setrecursionlimit(int(settings.get("recursion_limit", 1000)))
    while True:
        job = channel.receive()
        if job["type"] == "stop":
            return
        channel.send(runner.run(job))


if __name__ == "__main__":
    main()
