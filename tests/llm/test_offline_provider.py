"""The offline provider through litellm: registration, determinism, usage, role routing."""

from __future__ import annotations

import asyncio

import litellm
import pytest

from evopersona.llm.offline import register, respond
from evopersona.llm.offline.provider import PROVIDER
from evopersona.llm.offline.text import word_count

MESSAGES = [
    {"role": "system", "content": "You write roleplay policies."},
    {"role": "user", "content": "Persona: busy_nurse\nActive behaviours:\n- terse: Writes short fragments in lowercase.\n"
                                "Reason for call: You want to return a lamp."},
]


def _call(model: str, messages: list[dict[str, str]], seed: int, temperature: float = 0.7) -> litellm.ModelResponse:
    return asyncio.run(litellm.acompletion(model=model, messages=messages, seed=seed, temperature=temperature))


def test_register_is_idempotent() -> None:
    register()
    register()
    assert sum(1 for entry in litellm.custom_provider_map if entry["provider"] == PROVIDER) == 1


def test_same_request_same_answer_and_seed_changes_it() -> None:
    register()
    first = _call("offline/generator", MESSAGES, seed=1).choices[0].message.content
    again = _call("offline/generator", MESSAGES, seed=1).choices[0].message.content
    other = _call("offline/generator", MESSAGES, seed=2).choices[0].message.content
    assert first == again
    assert first != other


def test_sync_completion_matches_pure_function_and_reports_usage() -> None:
    register()
    reply = litellm.completion(model="offline/generator", messages=MESSAGES, seed=5, temperature=0.7)
    text = reply.choices[0].message.content
    assert text == respond("generator", MESSAGES, 0.7, 5)
    assert reply.model == "offline/generator"
    assert reply.usage.completion_tokens == round(word_count(text) * 1.3)
    assert reply.usage.prompt_tokens > 20


def test_unknown_role_is_an_error() -> None:
    with pytest.raises(ValueError, match="no role 'poet'"):
        respond("poet", MESSAGES)
