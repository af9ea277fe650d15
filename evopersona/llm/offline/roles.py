"""Route an offline request to its role; the one pure function the litellm provider wraps."""

from __future__ import annotations

from typing import Any, Callable

from evopersona.llm.offline.agent import respond_agent
from evopersona.llm.offline.generator import respond_generator
from evopersona.llm.offline.judge import respond_judge
from evopersona.llm.offline.mutator import respond_mutator, respond_weak_mutator
from evopersona.llm.offline.reflection import respond_reflection
from evopersona.llm.offline.user import respond_user

Responder = Callable[[list[dict[str, Any]], "float | None", "int | None"], str]

RESPONDERS: dict[str, Responder] = {
    "mutator": respond_mutator,
    "mutator-weak": respond_weak_mutator,
    "generator": respond_generator,
    "user": respond_user,
    "agent": respond_agent,
    "judge": respond_judge,
    "reflection": respond_reflection,
}


def respond(role: str, messages: list[dict[str, Any]], temperature: float | None = None, seed: int | None = None) -> str:
    """The offline answer to a request: the same request always gets the same text."""
    if role not in RESPONDERS:
        raise ValueError(f"offline provider has no role '{role}'; roles are {sorted(RESPONDERS)}")
    return RESPONDERS[role](messages, temperature, seed)
