"""A lean path for OpenAI-compatible endpoints (`openai/<model>` with an explicit api_base).

Why: profiling `litellm.acompletion` (cProfile and py-spy, 64 concurrent calls against the
loopback server of bench/llm_gateway.py) showed 4-5 ms of CPU per call, so one event loop tops
out near half of what a raw aiohttp client reaches. The time goes to layers a gateway with its
own retries, cache and ledger does not need: `completion()` run through the loop's thread pool
(argument mapping, Logging object set-up), the OpenAI SDK plus httpx request/response objects
over litellm's aiohttp transport, the response-cost calculator with its zero-cost diagnostics,
and the standard logging payload built for callbacks. None of these can be switched off by a
litellm setting (`suppress_debug_info`, no callbacks, retries off, the shared aiohttp transport
are already in effect), and running the thread-pool step inline did not raise throughput.

What still comes from litellm: provider and model resolution (`get_llm_provider`), the mapping
and validation of parameters for the model (`get_optional_params`, memoised per parameter set),
the API key lookup, and prices from its cost map. Only the HTTP exchange is ours: one shared
aiohttp session per event loop. Every other provider goes through `litellm.acompletion`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import weakref
from typing import Any

import aiohttp

from evopersona.llm.redact import redact
from evopersona.llm.retry import CallError, kind_for_status, parse_retry_after
from evopersona.llm.transport import Answer, CallSpec, configure_litellm, to_call_error


@functools.cache
def fast_route(model: str, api_base: str | None) -> tuple[str, str] | None:
    """(model name at the endpoint, api_base) when litellm resolves `model` to an OpenAI-compatible endpoint."""
    if not api_base:
        return None
    import litellm

    try:
        name, provider, _, resolved_base = litellm.get_llm_provider(model, api_base=api_base)
    except Exception as exc:
        error = to_call_error(exc)
        if error is None:
            raise
        raise error from None
    if provider != "openai":
        return None
    return name, (resolved_base or api_base).rstrip("/")


@functools.lru_cache(maxsize=1024)
def _mapped_params(name: str, temperature: float, max_tokens: int, with_seed: bool) -> tuple[tuple[str, Any], ...]:
    from litellm.utils import get_optional_params

    params = get_optional_params(
        model=name,
        custom_llm_provider="openai",
        temperature=temperature,
        max_tokens=max_tokens,
        seed=0 if with_seed else None,
    )
    return tuple((k, v) for k, v in params.items() if k not in ("stream", "extra_body") and v is not None)


@functools.cache
def _flat_prices(name: str) -> tuple[float, float] | None:
    """Per-token prices when the cost map has one flat price pair for the model (no tiers)."""
    import litellm

    entry = litellm.model_cost.get(name) or litellm.model_cost.get(f"openai/{name}")
    if entry is None:
        return None
    if any("above" in key or "tier" in key for key in entry):
        return None
    return float(entry.get("input_cost_per_token") or 0.0), float(entry.get("output_cost_per_token") or 0.0)


def _cost(name: str, tokens_in: int, tokens_out: int) -> float:
    import litellm

    prices = _flat_prices(name)
    if prices is not None:
        return tokens_in * prices[0] + tokens_out * prices[1]
    if name not in litellm.model_cost and f"openai/{name}" not in litellm.model_cost:
        return 0.0
    prompt_cost, completion_cost = litellm.cost_per_token(
        model=name, custom_llm_provider="openai", prompt_tokens=tokens_in, completion_tokens=tokens_out
    )
    return float(prompt_cost + completion_cost)


def _api_key() -> str | None:
    """The key litellm's OpenAI provider would use: litellm.api_key, litellm.openai_key, then the env."""
    import litellm

    return litellm.api_key or litellm.openai_key or os.environ.get("OPENAI_API_KEY")


def _error_message(body: str) -> str:
    """The provider's own error message when the body is OpenAI-shaped JSON, else the body's start."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:500]
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message)[:500] if message else body[:500]


class FastOpenAITransport:
    """POST /chat/completions on a shared aiohttp session; errors become CallError."""

    def __init__(self) -> None:
        configure_litellm()
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            weakref.WeakKeyDictionary()
        )

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            session = aiohttp.ClientSession(connector=connector)
            self._sessions[loop] = session
        return session

    async def aclose(self) -> None:
        """Close this loop's session (call from the loop that used the transport)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    async def send(self, spec: CallSpec) -> Answer:
        route = fast_route(spec.model, spec.api_base)
        if route is None:
            raise ValueError(f"{spec.model} at {spec.api_base} is not an OpenAI-compatible endpoint")
        name, base = route
        api_key = _api_key()
        try:
            params = dict(_mapped_params(name, spec.temperature, spec.max_tokens, spec.seed is not None))
        except Exception as exc:
            error = to_call_error(exc)
            if error is None:
                raise
            raise error from None
        if "seed" in params:
            params["seed"] = spec.seed
        body = {"model": name, "messages": spec.messages, **params}
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        try:
            async with self._session().post(
                f"{base}/chat/completions",
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
            ) as resp:
                if resp.status >= 400:
                    raise CallError(
                        kind_for_status(resp.status),
                        redact(_error_message(await resp.text()), (api_key,) if api_key else ()),
                        status=resp.status,
                        retry_after_s=parse_retry_after(resp.headers),
                    )
                data = await resp.json(content_type=None)
        except TimeoutError:
            raise CallError("timeout", f"no answer within {spec.timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise CallError("connection", redact(str(exc))) from None
        usage = data.get("usage") or {}
        tokens_in = int(usage.get("prompt_tokens") or 0)
        tokens_out = int(usage.get("completion_tokens") or 0)
        return Answer(
            text=data["choices"][0]["message"].get("content") or "",
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=_cost(name, tokens_in, tokens_out),
        )
