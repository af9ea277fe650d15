"""A loopback OpenAI-compatible chat server for tests and benches.

It answers `POST /v1/chat/completions` after a configurable latency, replays injected faults
(429 with Retry-After, 500, 400, a 401 that echoes the key like real providers do, a hang longer than the client's timeout) one per request in
order, and counts what it received. Its reply echoes the last message (`reply="echo"`), or, with
`reply="turns"`, is a plain sentence naming the turn and a hash of the conversation: user-turn
cleaning (simulate/user_turn.py) keeps it whole (an echoed greeting is agent speech it drops) and it
never repeats nor holds a stop token, so a simulated conversation runs to its max_turns. Run it in a thread (`FakeOpenAI`) for tests, or in its own
process (`FakeOpenAIProcess`, `python -m evopersona.testing.fake_openai`) so a bench client does
not share a core with it. Both are controlled through the same `/_control/*` endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections import Counter, deque
from typing import Any, Literal, Self

from aiohttp import web
from pydantic import BaseModel, Field

FaultKind = Literal["429", "500", "503", "400", "401", "hang"]
ReplyKind = Literal["echo", "turns"]


class Fault(BaseModel):
    """One injected failure, consumed by the next request that arrives."""

    kind: FaultKind
    retry_after: float | None = Field(default=None, description="Retry-After header (seconds) for 429/503")
    hang_s: float = Field(default=30.0, description="how long a 'hang' waits before answering")


class ServerStats(BaseModel):
    requests: int
    by_model: dict[str, int]
    faults_left: int
    last_bodies: list[dict[str, Any]]
    saw_authorization: bool
    peak_in_flight: int
    in_flight_seconds: float = Field(description="time integral of the requests in flight since the last reset")
    first_request_at: float | None = Field(description="wall time (time.time) the first request since reset arrived")
    last_request_end_at: float | None = Field(description="wall time the latest request since reset was answered")

    def mean_in_flight(self) -> float:
        """Average requests in flight from the first request's arrival to the last one's answer."""
        if self.first_request_at is None or self.last_request_end_at is None:
            return 0.0
        span = self.last_request_end_at - self.first_request_at
        return self.in_flight_seconds / span if span > 0 else 0.0


class _State:
    def __init__(self, latency_s: float, reply: ReplyKind = "echo") -> None:
        self.latency_s = latency_s
        self.reply = reply
        self.faults: deque[Fault] = deque()
        self.requests = 0
        self.by_model: Counter[str] = Counter()
        self.bodies: deque[dict[str, Any]] = deque(maxlen=64)
        self.saw_authorization = False
        self.in_flight = 0
        self.peak_in_flight = 0
        self.in_flight_seconds = 0.0
        self.first_request_at: float | None = None
        self.last_request_end_at: float | None = None
        self._changed_at = time.monotonic()

    def _integrate(self) -> None:
        now = time.monotonic()
        self.in_flight_seconds += self.in_flight * (now - self._changed_at)
        self._changed_at = now

    def enter(self) -> None:
        """A request arrived: integrate the in-flight count up to now, then count it."""
        self._integrate()
        if self.first_request_at is None:
            self.first_request_at = time.time()
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave(self) -> None:
        self._integrate()
        self.in_flight -= 1
        self.last_request_end_at = time.time()

    def clear_counts(self) -> None:
        """Forget what was counted (requests still in flight stay in flight)."""
        self._integrate()
        self.faults.clear()
        self.requests = 0
        self.by_model.clear()
        self.bodies.clear()
        self.saw_authorization = False
        self.peak_in_flight = self.in_flight
        self.in_flight_seconds = 0.0
        self.first_request_at = None
        self.last_request_end_at = None

    def stats(self) -> ServerStats:
        return ServerStats(
            requests=self.requests,
            by_model=dict(self.by_model),
            faults_left=len(self.faults),
            last_bodies=list(self.bodies),
            saw_authorization=self.saw_authorization,
            peak_in_flight=self.peak_in_flight,
            in_flight_seconds=self.in_flight_seconds + self.in_flight * (time.monotonic() - self._changed_at),
            first_request_at=self.first_request_at,
            last_request_end_at=self.last_request_end_at,
        )


def _reply(body: dict[str, Any], kind: ReplyKind) -> dict[str, Any]:
    messages = body.get("messages") or []
    last = str(messages[-1].get("content", "")) if messages else ""
    if kind == "echo":
        text = f"echo: {last[:200]}"
    else:
        said = zlib.crc32("\n".join(str(m.get("content", "")) for m in messages).encode())
        text = f"Turn {len(messages)} from me, about case {said:08x}."
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages) + 1
    return {
        "id": f"chatcmpl-fake-{zlib.crc32(last.encode())}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt_tokens + len(text.split()),
        },
    }


def _error(status: int, message: str, retry_after: float | None = None) -> web.Response:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    payload = {"error": {"message": message, "type": "fake_error", "code": status}}
    return web.json_response(payload, status=status, headers=headers)


def build_app(state: _State) -> web.Application:
    async def chat(request: web.Request) -> web.StreamResponse:
        state.enter()
        try:
            return await answer(request)
        finally:
            state.leave()

    async def answer(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        state.requests += 1
        state.by_model[str(body.get("model"))] += 1
        state.bodies.append(body)
        state.saw_authorization = state.saw_authorization or "Authorization" in request.headers
        fault = state.faults.popleft() if state.faults else None
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.hang_s)
        elif state.latency_s > 0:
            await asyncio.sleep(state.latency_s)
        if fault is None or fault.kind == "hang":
            return web.json_response(_reply(body, state.reply))
        if fault.kind == "400":
            return _error(400, "fake bad request: this request cannot succeed")
        if fault.kind == "401":
            key = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {key}")
        return _error(int(fault.kind), f"fake {fault.kind}", fault.retry_after)

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(state.stats().model_dump())

    async def configure(request: web.Request) -> web.Response:
        data = await request.json()
        if "latency_s" in data:
            state.latency_s = float(data["latency_s"])
        state.faults.extend(Fault.model_validate(f) for f in data.get("faults", []))
        return web.json_response({"ok": True})

    async def reset(_: web.Request) -> web.Response:
        state.clear_counts()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/_control/stats", stats)
    app.router.add_post("/_control/configure", configure)
    app.router.add_post("/_control/reset", reset)
    return app


class _Control:
    """The control calls shared by the thread and the process flavours (plain HTTP on loopback)."""

    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _post(self, path: str, data: dict[str, Any]) -> None:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()

    def stats(self) -> ServerStats:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_control/stats", timeout=10) as resp:
            return ServerStats.model_validate_json(resp.read())

    @property
    def requests(self) -> int:
        return self.stats().requests

    def inject(self, *faults: Fault) -> None:
        self._post("/_control/configure", {"faults": [f.model_dump() for f in faults]})

    def set_latency(self, latency_s: float) -> None:
        self._post("/_control/configure", {"latency_s": latency_s})

    def reset(self) -> None:
        self._post("/_control/reset", {})


class FakeOpenAI(_Control):
    """The server on its own event loop in a daemon thread of this process."""

    def __init__(self, latency_s: float = 0.0, port: int = 0, reply: ReplyKind = "echo") -> None:
        self._state = _State(latency_s, reply)
        self._want_port = port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-openai", daemon=True)

    async def _start(self) -> int:
        self._runner = web.AppRunner(build_app(self._state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._want_port)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def start(self) -> Self:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class FakeOpenAIProcess(_Control):
    """The server in a child process, so a benchmarked client gets a core of its own."""

    def __init__(self, latency_s: float = 0.0, reply: ReplyKind = "echo") -> None:
        self._latency_s = latency_s
        self._reply = reply
        self._proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> Self:
        cmd = [sys.executable, "-m", "evopersona.testing.fake_openai", "--latency", str(self._latency_s),
               "--reply", self._reply]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"fake OpenAI server did not start (said {line!r})")
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="loopback OpenAI-compatible fake server")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", choices=["echo", "turns"], default="echo", help="what each answer says")
    args = parser.parse_args()
    server = FakeOpenAI(latency_s=args.latency, port=args.port, reply=args.reply).start()
    print(f"PORT {server.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
