"""The offline user simulator: one user message from the scenario, the policy and the dialogue.

It sees the conversation the way τ² shows it to its user simulator: agent turns arrive with role
"user" and its own earlier turns with role "assistant". Without a persona block it writes like a
cooperative LLM simulator (long, polite, every known fact up front); with one, the policy's cues
(cues.py) shape each turn. The facts it states are always the scenario's, character for character.
"""

from __future__ import annotations

import re
from typing import Any

from evopersona.llm.offline import cues as C
from evopersona.llm.offline.style import Style, finish_human, formal_wrap, shorten
from evopersona.llm.offline.text import Scenario, content_of, first_person, parse_scenario, request_rng
from evopersona.simulate.persona_block import extract_policy

STOP = "###STOP###"
TRANSFER = "###TRANSFER###"

_ASKS = (
    ("email", r"e-?mail"), ("user_id", r"user ?id"), ("name", r"\bname\b"), ("zip", r"\bzip"),
    ("phone", r"phone"), ("order_id", r"order (id|number)|which order"),
    ("reservation", r"reservation (id|number|code)|confirmation (number|code)"),
)
_FACT_LABEL = {"email": "my email is", "user_id": "my user id is", "name": "my name is", "zip": "my zip code is",
               "phone": "my phone number is", "order_id": "the order is", "reservation": "the reservation is"}
_STOPWORDS = {"about", "would", "which", "there", "their", "these", "those", "think", "where", "while"}


def classify(agent_text: str) -> str:
    """What the agent's last message asks of the user."""
    low = agent_text.lower()
    if re.search(r"transfer(ring)? you|human agent", low):
        return "transfer"
    if re.search(r"anything else|is there anything|all set|have a (great|nice|good) day", low):
        return "done"
    if re.search(r"\(yes/no\)|shall i proceed|should i (go ahead|proceed)", low):
        return "confirm"
    if any(re.search(p, low) for _, p in _ASKS) and re.search(r"provide|give|share|tell me|what is|what's|\?", low):
        return "ask"
    if re.search(r"confirm|would you like me to|is that correct|is this correct", low):
        return "confirm"
    if re.search(r"how (can|may) i (help|assist)", low):
        return "open"
    return "other"


def _content_words(sentence: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{5,}", sentence.lower()) if w not in _STOPWORDS}


def _disclosed(sentence: str, said: str) -> bool:
    words = _content_words(sentence)
    return len(words & _content_words(said)) >= min(2, len(words))


class _Turn:
    """Everything one user turn is computed from."""

    def __init__(self, messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> None:
        system = next((content_of(m) for m in messages if m.get("role") == "system"), "")
        self.scenario: Scenario = parse_scenario(system)
        policy = extract_policy(system)
        self.style = Style(C.cue_strengths(policy) if policy else {}, self.scenario.protected_words())
        self.persona = policy is not None
        dialogue = [m for m in messages if m.get("role") in ("user", "assistant") and content_of(m).strip()]
        self.own = [content_of(m) for m in dialogue if m["role"] == "assistant"]
        self.agent = [content_of(m) for m in dialogue if m["role"] == "user"]
        self.rng = request_rng(messages, temperature, seed)
        self.cap = request_rng(messages[:1], temperature, seed, salt="episode").randint(6, 10)
        self.said = " ".join(self.own)
        requests = [s for s in self.scenario.reason if not s.lower().startswith("if ")]
        self.pending = [s for s in requests if not _disclosed(s, self.said)]

    def known(self, kind: str) -> str | None:
        value = self.scenario.fact(kind)
        if value is None or (kind == "email" and "email" in self.scenario.unknown.lower()):
            return None
        return value


def _asked_kinds(agent_text: str) -> list[str]:
    low = agent_text.lower()
    hits = [(re.search(p, low).start(), kind) for kind, p in _ASKS if re.search(p, low)]
    return [kind for _, kind in sorted(hits)]


def _answer_facts(t: _Turn, asked: list[str]) -> tuple[list[str], bool]:
    """The fact sentences answering the agent's question, and whether any was already given."""
    available = [k for k in asked if t.known(k)]
    if "email" in asked and not t.known("email"):
        available = [k for k in ("name", "zip", "user_id") if t.known(k)] or available
    if t.style.on("late_disclosure") and available:
        available = available[:1]
    repeated = any(t.known(k) and t.known(k) in t.said for k in available)
    facts = [f"{_FACT_LABEL[k]} {t.known(k)}" for k in available]
    if "email" in asked and not t.known("email"):
        facts.insert(0, "I don't remember my email")
    return facts, repeated


def gist(sentence: str) -> str:
    """The request at the heart of a scenario sentence ('... and wish to exchange X' → 'I want to exchange X')."""
    match = re.search(r"\b(?:wish|want|would like|'d like|need|hope)s? to (.+)", sentence, re.IGNORECASE)
    return f"I want to {match.group(1)}" if match else first_person(sentence)


def _opening(t: _Turn) -> list[str]:
    if not t.style.human:
        ids = [f"{_FACT_LABEL[k]} {t.known(k)}" for k in ("name", "user_id", "zip", "email", "phone") if t.known(k)]
        request = [first_person(s) for s in t.scenario.reason]
        return [f"I am reaching out regarding the following: {request[0]}" if request else "I need some help.",
                *request[1:], *(["For verification purposes, " + ", and ".join(ids)] if ids else [])]
    first = gist(first_person(t.pending[0])) if t.pending else "I need help with something"
    body = [first]
    if not t.style.on("late_disclosure"):
        body += [f"{_FACT_LABEL[k]} {t.known(k)}" for k in ("name", "zip", "user_id") if t.known(k)][:2]
    return body


def _human(t: _Turn, intent: str, asked: list[str]) -> str:
    style, rng = t.style, t.rng
    parts: list[str] = []
    if intent == "ask":
        facts, repeated = _answer_facts(t, asked)
        if repeated and (style.on("pushback") or style.on("frustration") or rng.random() < 0.3):
            parts.append(rng.choice(("i already told you", "like i said")))
        parts += facts or ["i don't have that"]
    elif intent == "open":
        parts += _opening(t)
        if style.fires("short", rng, 0.8):
            parts[0] = shorten(parts[0], rng.randint(4, 9), style.protected_words)
        elif style.on("late_disclosure"):
            parts[0] = shorten(parts[0], rng.randint(6, 12), style.protected_words)
    elif intent == "confirm" and style.fires("pushback", rng, 0.15):
        parts.append(rng.choice(C.PUSHBACK))
    elif intent in ("confirm", "other") and style.fires("clarification", rng, 0.15):
        parts.append(rng.choice(C.CLARIFY))
    elif intent == "other" and t.pending:
        lead = rng.choice(C.PIVOTS) + " " if style.fires("pivot", rng, 0.2) else ""
        sentence = first_person(t.pending[0])
        if style.on("short") or (style.on("bursty") and rng.random() < 0.5):
            sentence = shorten(sentence, rng.randint(4, 10), style.protected_words)
        parts.append(lead + sentence)
    elif style.fires("acknowledgment", rng, 0.6):
        return rng.choice(C.ACKS)
    else:
        parts.append(rng.choice(("yes go ahead", "yes", "yeah do that", "ok go ahead")) if intent == "confirm"
                     else rng.choice(("ok", "ok what now", "and then?", "so what happens now")))
    if style.fires("hedging", rng, 0.12):
        parts[0] = f"{rng.choice(C.HEDGES)} {parts[0]}"
    if style.fires("frustration", rng, 0.04 + 0.02 * len(t.own)):
        parts.insert(0, rng.choice(C.FRUSTRATION))
    if style.on("bursty") and rng.random() < 0.4 and len(parts) > 1:
        parts = parts[:1]
    if style.formal:
        parts.append(rng.choice(("thanks", "thank you")))
    return finish_human(", ".join(p.rstrip(".!") for p in parts), style, rng)


def _cooperative(t: _Turn, intent: str, asked: list[str]) -> str:
    rng = t.rng
    if intent == "open":
        return formal_wrap(_opening(t), rng, opener=True)
    if intent == "ask":
        facts, _ = _answer_facts(t, asked)
        body = [f.replace("I don't remember", "I am afraid I do not remember") for f in facts]
        return formal_wrap([s[:1].upper() + s[1:] for s in body] or ["Unfortunately, I do not have that information"],
                           rng, opener=False)
    if intent == "confirm":
        return formal_wrap(["Yes, I confirm that everything is correct", "Please go ahead with the request"], rng, opener=False)
    if t.pending:
        return formal_wrap([f"Regarding my request, {first_person(t.pending[0])}"], rng, opener=False)
    return formal_wrap(["That sounds good, I understand", "Please let me know the next step"], rng, opener=False)


def _closing(t: _Turn) -> str:
    if not t.style.human:
        return f"No, that will be all. {t.rng.choice(C.FORMAL_THANKS)} {STOP}"
    return f"{finish_human(t.rng.choice(C.CASUAL_CLOSERS), t.style, t.rng)} {STOP}"


def respond_user(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    t = _Turn(messages, temperature, seed)
    last_agent = t.agent[-1] if t.agent else "Hi! How can I help you today?"
    intent = classify(last_agent)
    if intent == "transfer":
        return TRANSFER
    if len(t.own) >= t.cap or (intent == "done" and not t.pending):
        return _closing(t)
    if intent == "done":
        intent = "other"
    asked = _asked_kinds(last_agent) if intent == "ask" else []
    return _human(t, intent, asked) if t.style.human else _cooperative(t, intent, asked)
