"""Request plumbing shared by the offline roles: seeding, message text, scenario facts.

The offline provider must be a pure function of the request, so every random choice comes from a
`random.Random` seeded by a hash of (messages, temperature, seed).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"\S+")


def request_rng(messages: list[dict[str, Any]], temperature: float | None, seed: int | None, salt: str = "") -> random.Random:
    payload = json.dumps([salt, [(m.get("role"), content_of(m)) for m in messages], temperature, seed])
    return random.Random(int.from_bytes(hashlib.sha256(payload.encode()).digest()[:8], "big"))


def content_of(message: dict[str, Any]) -> str:
    """The text of an OpenAI message whose content may be None, a string or a list of parts."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def prompt_text(messages: list[dict[str, Any]], roles: tuple[str, ...] = ("system", "user")) -> str:
    return "\n\n".join(content_of(m) for m in messages if m.get("role") in roles)


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def count_tokens(text: str) -> int:
    """A realistic token estimate: about 1.3 tokens per word."""
    return max(1, round(word_count(text) * 1.3))


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [p.strip() for p in parts if len(p.strip()) > 1]


_EMAIL = r"[\w.+-]+@[\w-]+\.[\w.]+\w"
_FACT_PATTERNS: dict[str, str] = {
    "email": _EMAIL,
    "order_id": r"#[A-Z]?\d{5,}",
    "user_id": r"\b[a-z]+_[a-z]+_\d{3,6}\b",
    "phone": r"\b\d{3}-\d{3}-\d{4}\b",
    "zip": r"\b\d{5}\b",
    "reservation": r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}\b",
}
_NAME = re.compile(r"(?:You are|Your name is|You name is|My name is|name is)\s+([A-Z][a-z]+(?: [A-Z][a-z]+)+)")
PROTECTED = re.compile("|".join(f"(?:{p})" for p in _FACT_PATTERNS.values()) + r"|\d[\d,.:/-]*")


@dataclass
class Scenario:
    """What the offline user knows, parsed from the `<scenario>` block of its system prompt."""

    reason: list[str] = field(default_factory=list)
    facts: dict[str, list[str]] = field(default_factory=dict)
    unknown: str = ""
    instructions: str = ""

    def fact(self, kind: str) -> str | None:
        values = self.facts.get(kind)
        return values[0] if values else None

    def protected_words(self) -> set[str]:
        """Words that must never be re-cased or misspelled (names, ids, emails)."""
        words: set[str] = set()
        for values in self.facts.values():
            for value in values:
                words.update(value.split())
        return words


def _section(text: str, label: str) -> str:
    labels = "Reason for call|Known info|Unknown info|Task instructions|Domain|Persona"
    match = re.search(rf"{label}:\s*(.*?)(?=\n\s*(?:{labels}):|\Z)", text, re.DOTALL)
    return " ".join(match.group(1).split()) if match else ""


def parse_scenario(system: str) -> Scenario:
    block = re.search(r"<scenario>(.*?)</scenario>", system, re.DOTALL)
    text = block.group(1) if block else system
    reason = _section(text, "Reason for call")
    known = _section(text, "Known info")
    scenario = Scenario(
        reason=sentences(reason),
        unknown=_section(text, "Unknown info"),
        instructions=_section(text, "Task instructions"),
    )
    for kind, pattern in _FACT_PATTERNS.items():
        source = known if kind in ("zip", "phone") else f"{known} {reason}"
        found = list(dict.fromkeys(re.findall(pattern, source)))
        if found:
            scenario.facts[kind] = found
    name = _NAME.search(known)
    if name:
        scenario.facts["name"] = [name.group(1)]
    return scenario


_PRONOUNS = (
    (r"\byou're\b", "i'm"), (r"\byou'd\b", "i'd"), (r"\byou've\b", "i've"), (r"\byou'll\b", "i'll"),
    (r"\byourself\b", "myself"), (r"\byours\b", "mine"), (r"\byour\b", "my"),
    (r"\b(to|for|with|tell|told|give|gave|help|helps|let|asks|ask|call) you\b", r"\1 me"),
    (r"\byou\b", "i"),
)


def first_person(sentence: str) -> str:
    """Turn a scenario sentence ('You want to return your order') into the user's own words."""
    out = sentence
    for pattern, repl in _PRONOUNS:
        out = re.sub(pattern, repl, out, flags=re.IGNORECASE)
    out = re.sub(r"\bi\b", "I", out)
    return out[:1].upper() + out[1:]
