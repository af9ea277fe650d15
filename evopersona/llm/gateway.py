"""The one door every LLM call of a run goes through (docs/contracts.md "LLM gateway").

A call names a role; the role's config gives model, temperature, max tokens, concurrency,
timeout and whether its answers are cached. The gateway then: serves a cache hit if there is one,
waits for a concurrency slot and a rate-limit/budget ticket, sends the request (retrying rate
limits, timeouts and 5xx with backoff), stores the answer, and records every attempt in the ledger.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
import weakref
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from evopersona.config import LLMConfig, RoleConfig
from evopersona.errors import InputError
from evopersona.llm.cache import CachedResponse, ResponseCache, request_key
from evopersona.llm.errors import LLMCallFailed
from evopersona.llm.fast_openai import FastOpenAITransport, fast_route
from evopersona.llm.ledger import Ledger, LLMCallRecord, active_ledger
from evopersona.llm.limiter import LocalRateLimiter, RateLimiter, cost_bound
from evopersona.llm.local import LocalTransport, is_local
from evopersona.llm.retry import Backoff, CallError
from evopersona.llm.transport import Answer, CallSpec, LiteLLMTransport

T = TypeVar("T")


class Completion(BaseModel):
    text: str
    role: str
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_s: float
    cached: bool


def register_offline_provider() -> None:
    """Register the `offline` litellm provider when its module is present (it is idempotent)."""
    try:
        offline = importlib.import_module("evopersona.llm.offline")
    except ModuleNotFoundError as exc:
        if exc.name != "evopersona.llm.offline":
            raise
        return
    offline.register()


def _estimate_tokens(messages: list[dict[str, Any]], max_tokens: int) -> int:
    """Tokens a request may use, for the tokens-per-minute window (about 4 characters a token)."""
    return sum(len(str(m.get("content", ""))) for m in messages) // 4 + max_tokens


class Gateway:
    """Role-based LLM calls with retries, cache, ledger, budget and rate limits.

    `transport`: "auto" sends `openai/<model>` roles that have an api_base (OpenAI-compatible
    servers) through the lean path in fast_openai.py and everything else through litellm;
    "litellm" sends everything through `litellm.acompletion`. `local/<model>` roles always run
    in-process (local.py).
    """

    def __init__(
        self,
        llm_config: LLMConfig,
        cache_dir: Path | None = None,
        ledger: Ledger | None = None,
        limiter: RateLimiter | None = None,
        *,
        transport: Literal["auto", "litellm"] = "auto",
        backoff: Backoff | None = None,
    ) -> None:
        register_offline_provider()
        self.config = llm_config
        directory = (
            cache_dir if cache_dir is not None else (Path(llm_config.cache_dir) if llm_config.cache_dir else None)
        )
        self.cache = ResponseCache(directory) if directory is not None else None
        self.ledger = ledger if ledger is not None else Ledger()
        self.limiter = limiter if limiter is not None else LocalRateLimiter(llm_config.rate_limit, llm_config.budget)
        self.backoff = backoff if backoff is not None else Backoff()
        self._litellm = LiteLLMTransport()
        self._fast = FastOpenAITransport() if transport == "auto" else None
        self._local = LocalTransport()
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._loop_lock = threading.Lock()

    def role(self, role: str) -> RoleConfig:
        if role not in self.config.roles:
            raise InputError(f"unknown LLM role '{role}'; roles are {sorted(self.config.roles)}")
        return self.config.roles[role]

    def _semaphore(self, role: str) -> asyncio.Semaphore:
        per_loop = self._semaphores.setdefault(asyncio.get_running_loop(), {})
        if role not in per_loop:
            per_loop[role] = asyncio.Semaphore(self.role(role).concurrency)
        return per_loop[role]

    async def _send(self, spec: CallSpec) -> Answer:
        if is_local(spec.model):
            return await self._local.send(spec)
        if self._fast is not None and fast_route(spec.model, spec.api_base) is not None:
            return await self._fast.send(spec)
        return await self._litellm.send(spec)

    def _record(
        self,
        role: str,
        model: str,
        latency_s: float,
        answer: CachedResponse | Answer | None = None,
        *,
        cached: bool = False,
        error: str | None = None,
    ) -> None:
        active_ledger(self.ledger).add(
            LLMCallRecord(
                role=role,
                model=model,
                tokens_in=answer.tokens_in if answer else 0,
                tokens_out=answer.tokens_out if answer else 0,
                cost_usd=0.0 if cached or answer is None else answer.cost_usd,
                latency_s=latency_s,
                cached=cached,
                error=error,
            )
        )

    async def acomplete(
        self,
        role: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        model: str | None = None,
    ) -> Completion:
        """Answer `messages` with the role's model (or `model`, one of the role's `models`);
        raises BudgetExceeded or LLMCallFailed."""
        cfg = self.role(role)
        if model is not None and model not in (cfg.model, *cfg.models):
            raise InputError(f"model {model!r} is not configured for the {role} role")
        spec = CallSpec(
            role=role,
            model=model or cfg.model,
            messages=messages,
            temperature=cfg.temperature if temperature is None else temperature,
            max_tokens=cfg.max_tokens if max_tokens is None else max_tokens,
            seed=seed,
            api_base=cfg.api_base,
            timeout_s=cfg.timeout_s,
        )
        started = time.perf_counter()
        key = None
        if self.cache is not None and cfg.cache:
            key = request_key(spec.model, spec.messages, spec.temperature, spec.max_tokens, spec.seed)
            hit = self.cache.get(key)
            if hit is not None:
                latency = time.perf_counter() - started
                self._record(role, spec.model, latency, hit, cached=True)
                return Completion(
                    text=hit.text,
                    role=role,
                    model=spec.model,
                    tokens_in=hit.tokens_in,
                    tokens_out=hit.tokens_out,
                    cost_usd=0.0,
                    latency_s=latency,
                    cached=True,
                )
        async with self._semaphore(role):
            answer = await self._attempts(role, spec)
        if key is not None and self.cache is not None:
            self.cache.put(key, spec.model, CachedResponse(**answer.model_dump()))
        return Completion(
            text=answer.text,
            role=role,
            model=spec.model,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            cost_usd=answer.cost_usd,
            latency_s=time.perf_counter() - started,
            cached=False,
        )

    async def _attempts(self, role: str, spec: CallSpec) -> Answer:
        tokens = _estimate_tokens(spec.messages, spec.max_tokens)
        bound = cost_bound(spec.model, spec.messages, spec.max_tokens)
        attempts = self.config.max_retries + 1
        attempt = 0
        while True:
            ticket = await self.limiter.acquire(spec.model, tokens, bound)
            started = time.perf_counter()
            try:
                answer = await self._send(spec)
            except CallError as error:
                latency = time.perf_counter() - started
                await self.limiter.settle(ticket, 0, 0.0)
                self._record(role, spec.model, latency, error=str(error))
                if not error.retryable or attempt == attempts - 1:
                    raise LLMCallFailed(role, spec.model, str(error), attempt + 1) from None
                await asyncio.sleep(self.backoff.delay(attempt, error))
                attempt += 1
                continue
            latency = time.perf_counter() - started
            await self.limiter.settle(ticket, answer.tokens_in + answer.tokens_out, answer.cost_usd)
            self._record(role, spec.model, latency, answer)
            return answer

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._loop_lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._loop_thread = threading.Thread(target=self._loop.run_forever, name="llm-gateway", daemon=True)
                self._loop_thread.start()
        if threading.current_thread() is self._loop_thread:
            coro.close()
            raise RuntimeError("Gateway.complete called from inside the gateway's own loop; use acomplete")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def complete(
        self,
        role: str,
        messages: list[dict[str, Any]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        """The blocking form of `acomplete`, safe to call from any number of threads."""
        return self._run(self.acomplete(role, messages, temperature=temperature, max_tokens=max_tokens, seed=seed))

    async def aclose(self) -> None:
        """Release the HTTP session this event loop used."""
        if self._fast is not None:
            await self._fast.aclose()

    async def _shutdown_loop(self) -> None:
        """Close the session and end the background tasks litellm left on the sync loop."""
        await self.aclose()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def close(self) -> None:
        """Stop the loop behind `complete` and close the cache file."""
        with self._loop_lock:
            loop, thread = self._loop, self._loop_thread
            self._loop = self._loop_thread = None
        if loop is not None and thread is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown_loop(), loop).result()
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
        if self.cache is not None:
            self.cache.close()
