"""The offline persona generator: population JSON and policy expansion, by prompt convention.

Population prompts contain "JSON", "<N> personas" and axes as `- name: definition` lines; the
answer is a JSON array of exactly N personas with a random placement on every axis. Expansion
prompts (no "JSON") list the persona's active axes as `- name: on playbook`; the answer is a
120–220-word policy that keeps those playbooks (and so their cue words) and adds task-grounded
sentences. A prompt asking for personas with policies in JSON (direct prompting) gets both.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from evopersona.llm.offline.behaviours import BEHAVIOURS
from evopersona.llm.offline.cues import CUES
from evopersona.llm.offline.text import prompt_text, request_rng, sentences, word_count

_BULLET = re.compile(r"^\s*-\s*([A-Za-z_][\w-]*)\s*:\s*(.+?)\s*$", re.MULTILINE)
_ADJECTIVES = ("busy", "retired", "night_shift", "anxious", "cheerful", "distracted", "careful", "blunt",
               "young", "weary", "methodical", "chatty")
_NOUNS = ("nurse", "teacher", "student", "contractor", "parent", "engineer", "driver", "chef", "accountant",
          "artist", "farmer", "librarian")
_CONTEXTS = ("They are fitting this chat in between other obligations.", "They have dealt with support lines before.",
             "They are using a phone with a small keyboard.", "They want this sorted out today.",
             "They rarely contact customer service.", "They are juggling work and family.")
_GROUNDING = (
    "Your goal and every fact in the scenario stay exactly as given: names, ids, emails, zip codes and order "
    "numbers are stated accurately whenever you share them.",
    "Respond to what the agent actually asks, and stay in character until your request is resolved.",
    "Pursue every part of your request; the style only changes how you talk, not what you want.",
    "If the agent proposes something that does not match your request, say so in your own voice.",
    "When the agent has done what you asked, wrap up the chat the way you normally would.",
    "Talk the way this person would in a real support chat, not like a script.",
    "Let the way you write reflect your mood as the conversation goes on.",
)


def _persona_count(prompt: str) -> int:
    match = re.search(r"(\d+)\s+personas", prompt)
    return max(1, int(match.group(1))) if match else 5


_SCHEMA_KEYS = {"persona_id", "description", "axis_placement", "reasoning", "policy", "name", "definition", "on", "off"}


def _axes(prompt: str) -> list[tuple[str, str]]:
    found = ((m.group(1), m.group(2)) for m in _BULLET.finditer(prompt) if m.group(1) not in _SCHEMA_KEYS)
    return list(dict.fromkeys(found))


def _reason(prompt: str) -> str:
    match = re.search(r"Reason for call:\s*(.+)", prompt)
    found = sentences(match.group(1)) if match else []
    return found[0] if found else ""


def _style_notes(prompt: str) -> list[str]:
    """Cue-bearing instruction sentences outside the axis lines (what a model would also follow)."""
    body = _BULLET.sub("", prompt)
    body = re.sub(r"(?s:<scenario>.*?</scenario>)|^(?:Instructions|Persona):.*$|^\t.*$", "", body, flags=re.MULTILINE)
    found = [s for s in sentences(body) if any(c.pattern.search(s) for c in CUES)]
    return list(dict.fromkeys(found))[:3]


def policy_text(playbooks: list[str], reason: str, notes: list[str], rng: random.Random) -> str:
    """A 120–220-word roleplay policy that keeps each playbook's wording."""
    opening = f"You are contacting support about this: {reason}" if reason else "You are contacting support about your request."
    body = list(playbooks) + notes
    while word_count(" ".join([opening, *body])) > 170:
        splittable = [i for i, p in enumerate(body) if len(sentences(p)) > 1]
        if not splittable:
            break
        longest = max(splittable, key=lambda i: word_count(body[i]))
        body[longest] = sentences(body[longest])[0]
    grounding = list(_GROUNDING)
    rng.shuffle(grounding)
    text = " ".join([opening, *body])
    target = rng.randint(125, 200)
    for sentence in [_GROUNDING[0]] + [g for g in grounding if g != _GROUNDING[0]]:
        if word_count(text) >= target and sentence != _GROUNDING[0]:
            break
        text = f"{text} {sentence}"
    words = text.split()
    return text if len(words) <= 220 else " ".join(words[:219]).rstrip(",;:") + "."


def _persona(i: int, axes: list[tuple[str, str]], rng: random.Random, taken: set[str]) -> dict[str, Any]:
    base = f"{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}"
    persona_id = base if base not in taken else f"{base}_{i + 1}"
    taken.add(persona_id)
    placement = {name: rng.random() < 0.5 for name, _ in axes}
    if axes and not any(placement.values()):
        placement[rng.choice(axes)[0]] = True
    on = [n for n, v in placement.items() if v]
    words = persona_id.replace("_", " ")
    description = f"A {words} who is contacting customer support about a recent request. {rng.choice(_CONTEXTS)}"
    reasoning = (f"Turns on {', '.join(on)} for a distinct mix of behaviours." if on
                 else "Keeps every axis off as a plain reference point.")
    return {"persona_id": persona_id, "description": description, "axis_placement": placement, "reasoning": reasoning}


def _direct_playbooks(persona: dict[str, Any], axes: list[tuple[str, str]], rng: random.Random) -> list[str]:
    bank = {b["name"]: b["on"] for b in BEHAVIOURS}
    chosen = [bank.get(n, dict(axes).get(n, "")) for n, v in persona["axis_placement"].items() if v]
    return [c for c in chosen if c] or [b["on"] for b in rng.sample(BEHAVIOURS, rng.randint(1, 3))]


def respond_generator(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    prompt = prompt_text(messages)
    rng = request_rng(messages, temperature, seed)
    if "JSON" not in prompt:
        playbooks = [on for _, on in _axes(prompt)]
        return policy_text(playbooks, _reason(prompt), _style_notes(prompt), rng)
    axes = _axes(prompt)
    taken: set[str] = set()
    personas = [_persona(i, axes, rng, taken) for i in range(_persona_count(prompt))]
    if re.search(r"\bpolic(y|ies)\b", prompt, re.IGNORECASE):
        notes = _style_notes(prompt)
        for persona in personas:
            persona["policy"] = policy_text(_direct_playbooks(persona, axes, rng), _reason(prompt), notes, rng)
    return json.dumps(personas, indent=2)
