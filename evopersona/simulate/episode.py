"""The built-in episode runner: a persona-conditioned user simulator talking to an agent.

It mirrors τ²'s protocol (the agent opens with τ²'s greeting; the user model sees agent turns as
"user" and its own as "assistant"; a stop token anywhere in a user message ends the episode) without
τ²'s tools or database, so `agent_success` is None here (the τ² adapter fills it in).
A user reply is cleaned to the user's own words (user_turn.py); a reply with nothing left is asked
again once with another seed at temperature RETRY_TEMPERATURE, and a user who has nothing new to
say ends the episode as a "loop".
A small local user model gets the same scenario and persona in the small form (prompts.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from evopersona.llm.errors import BudgetExceeded
from evopersona.simulate.prompts import (
    FIRST_AGENT_MESSAGE,
    UserPromptStyle,
    build_agent_system_prompt,
    build_small_user_messages,
    build_user_system_prompt,
)
from evopersona.simulate.transcript import EndedBy, Transcript, Turn, stop_reason
from evopersona.simulate.user_turn import clean_user_turn, is_loop
from evopersona.tasks import Task


class CompletionGateway(Protocol):
    """The part of `evopersona.llm.gateway.Gateway` an episode uses."""

    async def acomplete(self, role: str, messages: list[dict[str, str]], *, temperature: float | None = None,
                        max_tokens: int | None = None, seed: int | None = None) -> Any: ...


class EpisodeRequest(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    task: Task
    policy: str | None
    max_turns: int = Field(ge=1)
    seed: int
    persona_id: str | None = None
    user_prompt: UserPromptStyle = "tau2"


def _view(system: str, turns: list[Turn], own: str) -> list[dict[str, str]]:
    """The conversation as one side sees it: its own turns are "assistant", the other side's "user"."""
    return [{"role": "system", "content": system}] + [
        {"role": "assistant" if t.role == own else "user", "content": t.text} for t in turns
    ]


RETRY_TEMPERATURE = 0.7


async def _user_turn(gateway: CompletionGateway, messages: list[dict[str, str]], last_agent: str, seed: int) -> str:
    """The cleaned user turn; one more try, with another seed and sampling (at temperature 0 the same
    prompt gives the same reply), when the cleaning leaves nothing."""
    for attempt in range(2):
        reply = await gateway.acomplete("user", messages, seed=seed + attempt * 7919,
                                        temperature=RETRY_TEMPERATURE if attempt else None)
        text = clean_user_turn(reply.text, last_agent)
        if text:
            return text
    return ""


async def run_episode(task: Task, policy: str | None, gateway: CompletionGateway, *, max_turns: int, seed: int,
                      persona_id: str | None = None, user_prompt: UserPromptStyle = "tau2") -> Transcript:
    """One conversation of at most `max_turns` user turns; an LLM failure ends it with ended_by="error"."""
    user_system = build_user_system_prompt(task, policy)
    agent_system = build_agent_system_prompt(task)
    turns = [Turn(role="agent", text=FIRST_AGENT_MESSAGE)]
    ended_by: EndedBy = "max_turns"
    error: str | None = None
    try:
        for _ in range(max_turns):
            view = (build_small_user_messages(task, policy, turns) if user_prompt == "small"
                    else _view(user_system, turns, "user"))
            text = await _user_turn(gateway, view, turns[-1].text, seed)
            reason = stop_reason(text) if text else None
            if reason is None and (not text or is_loop([t.text for t in turns if t.role == "user"], text,
                                                       [t.text for t in turns if t.role == "agent"])):
                ended_by = "loop"
                break
            turns.append(Turn(role="user", text=text))
            if reason is not None:
                ended_by = reason
                break
            agent = await gateway.acomplete("agent", _view(agent_system, turns, "agent"), seed=seed)
            turns.append(Turn(role="agent", text=agent.text))
    except BudgetExceeded:
        raise
    except Exception as exc:  # the episode records the failure; the caller sees it in the transcript
        ended_by, error = "error", f"{type(exc).__name__}: {exc}"
    return Transcript(task_id=task.id, domain=task.domain, persona_id=persona_id, policy=policy or None,
                      turns=turns, ended_by=ended_by, error=error)


async def run_episodes(items: Sequence[EpisodeRequest], gateway: CompletionGateway, concurrency: int) -> list[Transcript]:
    """Run many episodes at once (at most `concurrency` in flight); results keep the order of `items`."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    gate = asyncio.Semaphore(concurrency)

    async def one(item: EpisodeRequest) -> Transcript:
        async with gate:
            return await run_episode(item.task, item.policy, gateway, max_turns=item.max_turns, seed=item.seed,
                                     persona_id=item.persona_id, user_prompt=item.user_prompt)

    return list(await asyncio.gather(*(one(item) for item in items)))
