"""The system prompts of an episode: τ²'s user-simulator prompt (plus persona block) and the agent's policy."""

from __future__ import annotations

from evopersona.resources import tau2_domain_dir, user_guidelines_path
from evopersona.simulate.persona_block import wrap_policy
from evopersona.tasks import Task

FIRST_AGENT_MESSAGE = "Hi! How can I help you today?"


def build_user_system_prompt(task: Task, policy: str | None) -> str:
    """τ²'s user prompt (guidelines, then `<scenario>`), with the persona block when there is a policy."""
    guidelines = user_guidelines_path().read_text(encoding="utf-8").strip()
    prompt = f"{guidelines}\n\n<scenario>\n{task.scenario_text()}\n</scenario>"
    if policy and policy.strip():
        prompt = f"{prompt}\n\n{wrap_policy(policy)}"
    return prompt


def build_agent_system_prompt(task: Task) -> str:
    """The domain policy τ² gives its agent; a generic service brief for domains without one."""
    folder = tau2_domain_dir(task.domain)
    for name in ("policy.md", "main_policy.md"):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return (f"You are a customer service agent for the {task.domain} domain. Help the user with their "
            "request, verify their identity before changing anything, and confirm before you act.")
