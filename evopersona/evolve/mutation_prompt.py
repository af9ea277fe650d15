"""The mutator's prompt: a system message stating the goal, the generator contract and the answer
format; a user message with the parent program (always the first ```python block: the offline
mutator copies its SEARCH text from there), its scores and reflection, the inspirations with their
scores and (shortened) reflections, and one mutation angle drawn by a seeded rng.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from evopersona.store.models import Objectives

MAX_REFLECTION_CHARS = 10_000
MAX_INSPIRATION_REFLECTION_CHARS = 1_500

# Each angle pushes the mutator towards one kind of change; plain data so it can be reviewed as a list.
MUTATION_ANGLES: dict[str, str] = {
    "edit the axes": (
        "Rework AXES. Add behaviours real customers show and the current axes miss, split an axis that "
        "mixes two behaviours, sharpen vague definitions, or drop axes that never change how a user "
        "writes. Several independent axes are fine; make every on/off playbook concrete enough that two "
        "writers would produce the same kind of turn."
    ),
    "edit the population prompt": (
        "Rewrite the prompt that creates the population so the personas differ more in how they "
        "communicate (length, register, patience, how much they reveal and when), while each persona stays "
        "a coherent person whose traits fit together."
    ),
    "rewrite the expansion": (
        "Rewrite how each persona becomes its roleplay policy. Aim for the way people actually type in a "
        "support chat: uneven message lengths, reactions when the agent errs or asks again, pushback, "
        "details given only when asked. Describe habits, not a turn-by-turn script."
    ),
    "structural change": (
        "Change the program's structure rather than its wording: for example branch the policy text on "
        "the combination of active axes, sample axis placements to balance the population, or add a "
        "validation pass that repairs personas which break the task."
    ),
    "new approach": (
        "Try a clearly different strategy for producing the n personas, for example generate more "
        "candidates than needed and keep the n that are most different from each other, or build "
        "policies from small reusable behaviour fragments."
    ),
}

SYSTEM_MESSAGE = """\
You are evolving a Python program that generates user personas for testing customer-service agents.
Each persona carries a roleplay policy: text added to a user simulator's instructions that changes HOW
the simulated user writes and behaves, never WHAT they want. Every program is scored on:
- human_likeness: how much the simulated users' turns read like real people's rather than a polite,
  complete, cooperative assistant;
- coverage: how well the personas of each task together span the range of real human behaviour;
- task_preservation: the share of policies that keep every goal and fact of the task. Below a fixed
  floor the program is discarded, whatever else it scores: never tell the user to forget, drop, change
  or misstate a goal, requirement, name, id, email or number.

Keep the contract:
- a top-level AXES: a list of dicts {"name", "definition", "on", "off"} (on/off describe how a person
  with or without the behaviour communicates);
- a top-level generate(task, n, llm, rng) returning exactly n dicts {"persona_id", "description",
  "axis_placement", "policy"} with unique non-empty persona_id, axis_placement mapping axis names to
  booleans, and a non-empty policy;
- task is a dict (id, domain, reason_for_call, known_info, unknown_info, task_instructions, scenario);
  rng is a random.Random; llm offers llm.complete(prompt, system=None, temperature=None,
  max_tokens=None) -> str and llm.complete_many(prompts, ...) -> list[str] (run concurrently);
- only these imports: random, math, json, re, itertools, collections, string, textwrap, functools,
  dataclasses, typing, statistics, enum. No files, no network, no other modules.
- prompt conventions: a population prompt contains the word JSON, the phrase "<N> personas" and one
  line "- <axis name>: <definition>" per axis; an expansion prompt names the persona, lists only its
  active axes as "- <axis name>: <on playbook>" and does not contain the word JSON.

Answer with one or more SEARCH/REPLACE blocks, each copying lines exactly from the parent:
<<<<<<< SEARCH
exact lines of the parent
=======
replacement lines
>>>>>>> REPLACE
or with a complete new program in a single fenced code block tagged python. Explain your idea in a
sentence or two before the change. If progress has stalled, prefer a structural change."""


@dataclass(frozen=True, slots=True)
class PromptProgram:
    """A program shown to the mutator: the parent or an inspiration."""

    program_id: int
    code: str
    objectives: Objectives | None
    label: str = ""
    reflection: str | None = None


class MutationPrompt(BaseModel):
    messages: list[dict[str, str]]
    angle: str


def render_objectives(objectives: Objectives | None) -> str:
    if objectives is None:
        return "not scored (its evaluation failed)"
    verdict = "feasible" if objectives.feasible else "INFEASIBLE: too many policies break the task"
    return (f"human_likeness {objectives.human_likeness:.3f}, coverage {objectives.coverage:.3f}, "
            f"task_preservation {objectives.task_preservation:.3f} ({verdict}), score {objectives.score:.3f}")


def _fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def build_mutation_prompt(
    parent: PromptProgram,
    *,
    reflection: str | None,
    inspirations: Sequence[PromptProgram],
    rng: random.Random,
    angle: str | None = None,
    previous_rejection: str | None = None,
) -> MutationPrompt:
    """The OpenAI messages for one mutation and the angle chosen (by `rng` unless given)."""
    chosen = angle if angle is not None else rng.choice(list(MUTATION_ANGLES))
    if chosen not in MUTATION_ANGLES:
        raise ValueError(f"unknown mutation angle {chosen!r}; angles are {list(MUTATION_ANGLES)}")
    parts = [
        f"# Parent program (id {parent.program_id})",
        _fenced(parent.code),
        f"Scores: {render_objectives(parent.objectives)}",
        "## Reflection on the parent's last evaluation",
        (reflection or "none available").strip()[:MAX_REFLECTION_CHARS],
    ]
    if inspirations:
        parts.append("## Other programs for inspiration (do not copy them wholesale)")
        for program in inspirations:
            label = f" ({program.label})" if program.label else ""
            parts += [f"### Program {program.program_id}{label}: {render_objectives(program.objectives)}",
                      _fenced(program.code)]
            if program.reflection:
                parts.append(f"Reflection on program {program.program_id}: "
                             f"{program.reflection.strip()[:MAX_INSPIRATION_REFLECTION_CHARS]}")
    parts += [f"## This mutation: {chosen}", MUTATION_ANGLES[chosen]]
    if previous_rejection:
        parts += ["## Your previous answer was rejected", previous_rejection.strip()]
    parts.append("Change the parent program accordingly. SEARCH text must be copied exactly from the parent above.")
    return MutationPrompt(
        messages=[{"role": "system", "content": SYSTEM_MESSAGE}, {"role": "user", "content": "\n\n".join(parts)}],
        angle=chosen,
    )
