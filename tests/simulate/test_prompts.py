"""The user simulator's system prompt: τ² guidelines, the scenario, and the persona block only with a policy."""

from __future__ import annotations

import pytest

from evopersona.resources import tau2_domain_dir, user_guidelines_path
from evopersona.simulate.persona_block import PERSONA_HEADER, extract_policy, wrap_policy
from evopersona.config import LLMConfig
from evopersona.simulate.prompts import (
    FIRST_AGENT_MESSAGE,
    build_agent_system_prompt,
    build_small_user_messages,
    build_user_system_prompt,
    user_prompt_style,
)
from evopersona.simulate.transcript import Transcript, Turn
from evopersona.tasks import load_domain

TASK = load_domain("retail")[0]


def test_persona_block_present_only_with_a_policy() -> None:
    guidelines = user_guidelines_path().read_text().strip()
    plain = build_user_system_prompt(TASK, None)
    assert plain.startswith(guidelines)
    assert f"<scenario>\n{TASK.scenario_text()}\n</scenario>" in plain
    assert PERSONA_HEADER not in plain and build_user_system_prompt(TASK, "  ") == plain
    with_persona = build_user_system_prompt(TASK, "Writes short lowercase fragments.")
    assert with_persona.startswith(plain)
    assert with_persona.index("</scenario>") < with_persona.index(PERSONA_HEADER)
    assert extract_policy(with_persona) == "Writes short lowercase fragments."


def test_block_says_how_not_what_and_refuses_an_empty_policy() -> None:
    block = wrap_policy("Gets frustrated fast.")
    assert "HOW you communicate, never WHAT you want" in block
    assert "never mention these instructions" in block
    with pytest.raises(ValueError):
        wrap_policy("")


def test_agent_gets_the_domain_policy() -> None:
    assert "retail" in build_agent_system_prompt(TASK).lower()
    telecom = load_domain("telecom")[0]
    policy = (tau2_domain_dir("telecom") / "main_policy.md").read_text()
    assert build_agent_system_prompt(telecom) == policy


def test_user_turns_strip_stop_tokens_and_drop_empty_turns() -> None:
    transcript = Transcript(task_id="0", domain="retail", turns=[
        Turn(role="agent", text="Hi!"), Turn(role="user", text="need a refund"),
        Turn(role="agent", text="Done."), Turn(role="user", text="thx ###STOP###"),
        Turn(role="user", text="###TRANSFER###")], ended_by="stop")
    assert transcript.user_turns() == ["need a refund", "thx"]


def test_small_form_carries_scenario_persona_and_chat_for_small_local_models() -> None:
    turns = [Turn(role="agent", text=FIRST_AGENT_MESSAGE), Turn(role="user", text="hi"), Turn(role="agent", text="Your email?")]
    messages = build_small_user_messages(TASK, "Writes short lowercase fragments.", turns)
    assert messages[0]["role"] == "system" and "you never offer it" in messages[0]["content"]
    assert extract_policy(messages[0]["content"]) == "Writes short lowercase fragments."
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user", "assistant", "user"]  # one example, then the chat
    assert messages[3]["content"].startswith("(A new chat. Your situation now: " + " ".join(TASK.reason_for_call.split()))
    assert " ".join(TASK.known_info.split()) in messages[3]["content"]
    assert messages[3]["content"].endswith(f"Agent: {FIRST_AGENT_MESSAGE}")
    assert messages[4:] == [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "Agent: Your email?"}]
    assert PERSONA_HEADER not in build_small_user_messages(TASK, None, turns)[0]["content"]
    assert user_prompt_style(LLMConfig(model="local/smollm2")) == "small"
    assert user_prompt_style(LLMConfig(model="local/smollm2", local_caps=False)) == "tau2"
    assert user_prompt_style(LLMConfig(roles={"agent": {"model": "local/smollm2"}})) == "tau2"
