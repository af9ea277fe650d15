"""Sending one request through litellm, and what every transport hands back to the gateway.

litellm is configured once per process for a gateway that does its own retries, caching and
accounting: its retries (and the OpenAI SDK's) are off, debug chatter is suppressed, and its own
callbacks stay empty. Its exceptions become `CallError` with any key scrubbed from the message.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, Field

from evopersona.llm.redact import redact
from evopersona.llm.retry import CallError, kind_for_status, parse_retry_after


class CallSpec(BaseModel):
    """One request as the transports see it (already resolved from the role's config)."""

    model: str
    messages: list[dict[str, Any]]
    role: str = Field(default="", description="the gateway role; the local provider keeps a context per role")
    temperature: float
    max_tokens: int
    seed: int | None
    api_base: str | None
    timeout_s: float


class Answer(BaseModel):
    text: str
    tokens_in: int
    tokens_out: int
    cost_usd: float


@functools.cache
def configure_litellm() -> None:
    """Process-wide litellm settings for a gateway that owns retries, caching and logging."""
    import litellm

    litellm.suppress_debug_info = True
    litellm.num_retries = 0
    litellm.set_verbose = False


def to_call_error(exc: Exception, secrets: tuple[str, ...] = ()) -> CallError | None:
    """Map a litellm/OpenAI exception to a CallError; None for anything else (a bug, not a call failure)."""
    import litellm
    import openai

    message = redact(str(exc), secrets)
    if isinstance(exc, (litellm.Timeout, openai.APITimeoutError)):
        return CallError("timeout", message)
    if isinstance(exc, openai.APIConnectionError):
        return CallError("connection", message)
    if isinstance(exc, (openai.APIStatusError, litellm.APIError)):
        status = int(getattr(exc, "status_code", 0) or 0) or None
        response = getattr(exc, "response", None)
        headers = getattr(exc, "litellm_response_headers", None) or getattr(response, "headers", None)
        kind = kind_for_status(status) if status else "server"
        return CallError(kind, message, status=status, retry_after_s=parse_retry_after(headers))
    return None


class LiteLLMTransport:
    """`litellm.acompletion` with our settings: no retries of its own, the role's timeout."""

    def __init__(self) -> None:
        configure_litellm()

    async def send(self, spec: CallSpec) -> Answer:
        import litellm

        kwargs: dict[str, Any] = {"api_base": spec.api_base} if spec.api_base else {}
        if spec.seed is not None:
            kwargs["seed"] = spec.seed
        try:
            response = await litellm.acompletion(
                model=spec.model,
                messages=spec.messages,
                temperature=spec.temperature,
                max_tokens=spec.max_tokens,
                timeout=spec.timeout_s,
                num_retries=0,
                max_retries=0,
                **kwargs,
            )
        except Exception as exc:
            error = to_call_error(exc)
            if error is None:
                raise
            raise error from None
        usage = getattr(response, "usage", None)
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        return Answer(
            text=response.choices[0].message.content or "",
            tokens_in=int(getattr(usage, "prompt_tokens", 0) or 0),
            tokens_out=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=float(cost or 0.0),
        )
