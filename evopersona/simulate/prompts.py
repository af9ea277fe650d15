"""The prompts of an episode: the user simulator's (τ²'s, or the small-model form) and the agent's.

τ²'s user prompt is a system message (its guidelines, the scenario, the persona block) with the
conversation as chat turns, the user's own as "assistant". SmolLM2-135M answers that as the
assistant it was trained to be ("I'm sorry, I'm not able to assist you", "How can I assist you
today?"), and so it did when asked to write the customer's next line after a transcript. What it
does answer as the customer is a short chat with one example exchange: a brief system message
(who it is, its goal and facts, the persona block), the example ("Agent: Hi! How can I help you
today?" answered by a customer), then the real chat, the agent's turns as "user" messages marked
"Agent:" and its own as "assistant". That small form is used for a `local/` user model under
`llm.local_caps` (`user_prompt_style`); measured in bench/real_model.py.
"""

from __future__ import annotations

from typing import Literal

from evopersona.config import LLMConfig
from evopersona.resources import tau2_domain_dir, user_guidelines_path
from evopersona.simulate.persona_block import wrap_policy
from evopersona.simulate.transcript import Turn
from evopersona.tasks import Task

FIRST_AGENT_MESSAGE = "Hi! How can I help you today?"
UserPromptStyle = Literal["tau2", "small"]

SMALL_SYSTEM = """You are a customer chatting with a store's support agent. You want help; you never offer it. \
Write one short message at a time, as the customer. Give a detail only when the agent asks for it. When you \
have everything you wanted, write ###STOP###.
{persona}"""
SMALL_EXAMPLE = [{"role": "user", "content": f"Agent: {FIRST_AGENT_MESSAGE}"},
                 {"role": "assistant", "content": "Hello, I'd like to return a pair of shoes I bought last week."}]
SMALL_SITUATION = "(A new chat. Your situation now: {facts})"


def user_prompt_style(llm: LLMConfig) -> UserPromptStyle:
    """The small form for a local/ user model (unless llm.local_caps is off), else τ²'s prompt."""
    return "small" if llm.local_caps and llm.role("user").model.startswith("local/") else "tau2"


def build_user_system_prompt(task: Task, policy: str | None) -> str:
    """τ²'s user prompt (guidelines, then `<scenario>`), with the persona block when there is a policy."""
    guidelines = user_guidelines_path().read_text(encoding="utf-8").strip()
    prompt = f"{guidelines}\n\n<scenario>\n{task.scenario_text()}\n</scenario>"
    if policy and policy.strip():
        prompt = f"{prompt}\n\n{wrap_policy(policy)}"
    return prompt


def build_small_user_messages(task: Task, policy: str | None, turns: list[Turn]) -> list[dict[str, str]]:
    """The small form: system (role, goal, persona), one example exchange, then the chat so far."""
    persona = f"\n{wrap_policy(policy)}" if policy and policy.strip() else ""
    facts = (task.reason_for_call, task.known_info, task.unknown_info, task.task_instructions)
    situation = SMALL_SITUATION.format(facts=" ".join(" ".join(f.split()) for f in facts if f and f.strip(" .")))
    messages = [{"role": "system", "content": SMALL_SYSTEM.format(persona=persona).strip()}, *SMALL_EXAMPLE]
    for i, turn in enumerate(turns):
        if turn.role == "agent":
            text = f"Agent: {turn.text}"
            messages.append({"role": "user", "content": f"{situation}\n{text}" if i == 0 else text})
        else:
            messages.append({"role": "assistant", "content": turn.text})
    return messages


def build_agent_system_prompt(task: Task) -> str:
    """The domain policy τ² gives its agent; a generic service brief for domains without one."""
    folder = tau2_domain_dir(task.domain)
    for name in ("policy.md", "main_policy.md"):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return (f"You are a customer service agent for the {task.domain} domain. Help the user with their "
            "request, verify their identity before changing anything, and confirm before you act.")
