"""The reflection step: an LLM (role "reflection") explains an evaluation to the mutator.

The prompt carries the objectives, one row per persona (P(human), active behaviours, task preserved)
and a few sample dialogues, and asks for at most 300 words on what worked, what did not and which
behaviours help or clash. Task indices and customer names are kept out: the mutator should learn
behaviours, not memorise scenarios.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from evopersona.fitness.judges import AsyncCompleter, render_user_side

MAX_ROWS = 40
MAX_POLICY_CHARS = 1200
MAX_DIALOGUE_CHARS = 2400
MAX_REPLY_CHARS = 10_000


class PersonaRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    p_human: float
    behaviours: list[str]
    preserved: bool = True


class SampleDialogue(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: str
    p_human: float
    features: dict[str, float]
    user_turns: list[str]


SYSTEM = (
    "You analyse one evaluation of a persona-generator program. Its personas drive a simulated "
    "customer; the goal is customers that read like real people (human-likeness), that together span "
    "the variety of real customers (coverage), and that never change the task's facts or goals."
)
ASK = (
    "Write at most 300 words for the engineer who will revise the generator:\n"
    "1. Why the scores came out as they did.\n"
    "2. What worked: behaviours and wording that read as human.\n"
    "3. What did not: persona drift, stagey or scripted roleplay where people would type tersely, "
    "over-cooperation without friction, typos or pushback, any broken task facts.\n"
    "4. Which behaviours combine well and which clash.\n"
    "5. What to adopt and what to avoid next.\n"
    "Talk about behaviours only: do not mention task numbers, sample numbers or customer names."
)


def _objectives_text(objectives: Any) -> str:
    data = objectives.model_dump(exclude={"metrics"}) if hasattr(objectives, "model_dump") else dict(objectives)
    return "\n".join(f"- {k}: {v:.3f}" if isinstance(v, float) else f"- {k}: {v}" for k, v in data.items())


def build_reflection_prompt(
    objectives: Any, per_persona_rows: list[PersonaRow], sample_dialogues: list[SampleDialogue]
) -> list[dict[str, str]]:
    """The chat messages for the reflection call (see the module docstring)."""
    rows = "\n".join(
        f"- P(human) {r.p_human:.2f}; behaviours: {', '.join(r.behaviours) or 'none'}"
        + ("" if r.preserved else "; BREAKS THE TASK")
        for r in per_persona_rows[:MAX_ROWS]
    )
    samples = []
    for s in sample_dialogues:
        features = ", ".join(f"{k}={v:.2f}" for k, v in s.features.items())
        samples.append(
            f"Persona policy (P(human) {s.p_human:.2f}):\n{s.policy[:MAX_POLICY_CHARS]}\n"
            f"Fingerprint: {features}\nUser side:\n{render_user_side(s.user_turns)[:MAX_DIALOGUE_CHARS]}"
        )
    body = (f"Scores:\n{_objectives_text(objectives)}\n\nPersonas:\n{rows or '- none'}\n\n"
            "Sample conversations:\n\n" + ("\n\n---\n\n".join(samples) or "none") + "\n\n" + ASK)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": body}]


async def reflect(
    gateway: AsyncCompleter, objectives: Any, per_persona_rows: list[PersonaRow],
    sample_dialogues: list[SampleDialogue], *, seed: int = 0,
) -> str:
    """The reflection text (truncated to 10k characters) for the mutator's next prompt."""
    reply = await gateway.acomplete("reflection", build_reflection_prompt(objectives, per_persona_rows, sample_dialogues), seed=seed)
    return reply.text[:MAX_REPLY_CHARS]
