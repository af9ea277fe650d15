"""The prompts of an episode: the user simulator's (τ²'s, or the script form for small models) and the agent's.

τ²'s user prompt is a system message (its guidelines, the scenario, the persona block) with the
conversation as chat turns, the user's own as "assistant". A 135M model answers that as the
assistant it was trained to be ("Hello! How can I assist you today?"): measured in
bench/real_model.py, most of its replies were the agent's. The script form asks the same model for
a writing task instead, the one kind of request it answers well: "here is the customer's situation
and the chat so far, write the customer's next message", with the same scenario, persona block and
stop tokens. It is used for a `local/` user model under `llm.local_caps` (`user_prompt_style`).
"""

from __future__ import annotations

from typing import Literal

from evopersona.config import LLMConfig
from evopersona.resources import tau2_domain_dir, user_guidelines_path
from evopersona.simulate.persona_block import wrap_policy
from evopersona.simulate.transcript import Turn
from evopersona.tasks import Task

FIRST_AGENT_MESSAGE = "Hi! How can I help you today?"
UserPromptStyle = Literal["tau2", "script"]

SCRIPT_SYSTEM = ("You write chat messages for a customer who is talking to a store's support agent. You are the "
                 "customer, never the agent: you want help, you do not offer it.")
SCRIPT_ASK = """The customer's situation:
{scenario}
{persona}
The chat so far:
{chat}

Write the customer's next message only: one to three short sentences in the customer's own voice \
("I", "my"). Give a detail only when the agent asks for it. When the customer has got everything \
they wanted, write ###STOP### instead."""


def user_prompt_style(llm: LLMConfig) -> UserPromptStyle:
    """The script form for a small local/ user model (unless llm.local_caps is off), else τ²'s prompt."""
    return "script" if llm.local_caps and llm.role("user").model.startswith("local/") else "tau2"


def build_user_system_prompt(task: Task, policy: str | None) -> str:
    """τ²'s user prompt (guidelines, then `<scenario>`), with the persona block when there is a policy."""
    guidelines = user_guidelines_path().read_text(encoding="utf-8").strip()
    prompt = f"{guidelines}\n\n<scenario>\n{task.scenario_text()}\n</scenario>"
    if policy and policy.strip():
        prompt = f"{prompt}\n\n{wrap_policy(policy)}"
    return prompt


def build_script_user_messages(task: Task, policy: str | None, turns: list[Turn]) -> list[dict[str, str]]:
    """The script form: one request to write the customer's next message after the chat so far."""
    persona = f"\n{wrap_policy(policy)}\n" if policy and policy.strip() else ""
    chat = "\n".join(f"{'Customer' if t.role == 'user' else 'Agent'}: {t.text}" for t in turns)
    return [{"role": "system", "content": SCRIPT_SYSTEM},
            {"role": "user", "content": SCRIPT_ASK.format(scenario=task.scenario_text(), persona=persona, chat=chat)}]


def build_agent_system_prompt(task: Task) -> str:
    """The domain policy τ² gives its agent; a generic service brief for domains without one."""
    folder = tau2_domain_dir(task.domain)
    for name in ("policy.md", "main_policy.md"):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return (f"You are a customer service agent for the {task.domain} domain. Help the user with their "
            "request, verify their identity before changing anything, and confirm before you act.")
