"""The offline customer-service agent: a fixed script driven by the dialogue state.

greet → ask for identification → (ask for the order) → confirm the request → act → "Is there
anything else I can help you with?". It answers pushback and clarification questions by restating
the current step, and never loops forever (each step is asked at most three times).
"""

from __future__ import annotations

import re
from typing import Any

from evopersona.llm.offline.text import content_of, request_rng

GREETING = "Hi! How can I help you today?"
_IDENTIFIED = re.compile(r"[\w.+-]+@[\w-]+\.\w+|\b[a-z]+_[a-z]+_\d{3,6}\b|\b\d{5}\b|\b\d{3}-\d{3}-\d{4}\b")
_AFFIRM = re.compile(r"\b(yes|yep|yeah|yup|sure|ok|okay|k|go ahead|confirm|correct|do that|please do|fine)\b", re.I)
_CLARIFY = re.compile(r"what do you mean|which one|huh|don'?t understand|wait what|confused|clarify", re.I)
_PUSHBACK = re.compile(r"are you sure|already told|not right|like i said|as i said|wrong", re.I)
_ANYTHING_ELSE = "Is there anything else I can help you with?"


def _identity_ask(domain: str, said: str, asks: int) -> str:
    if domain == "airline":
        return "Could you please provide your user id so I can look up your profile?"
    if domain == "telecom":
        return "Could you please provide the phone number on your account so I can verify your identity?"
    if asks == 0:
        return ("I can help with that. First, could you please provide your email address, or your name and zip code, "
                "so I can verify your identity?")
    if re.search(r"\b\d{5}\b", said):
        return "Thanks. Could you also tell me your full name?"
    return "Thank you. Could you also provide your zip code?"


def _summary(users: list[str]) -> str:
    longest = max(users, key=lambda u: len(u.split()))
    words = longest.replace("###STOP###", "").split()[:14]
    return " ".join(words).rstrip(".,!?")


def respond_agent(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    system = next((content_of(m) for m in messages if m.get("role") == "system"), "").lower()
    domain = "airline" if "airline" in system else "telecom" if "telecom" in system else "retail"
    dialogue = [m for m in messages if m.get("role") in ("user", "assistant") and content_of(m).strip()]
    users = [content_of(m) for m in dialogue if m["role"] == "user"]
    own = [content_of(m) for m in dialogue if m["role"] == "assistant"]
    if not users:
        return GREETING
    rng = request_rng(messages, temperature, seed)
    last_user, last_own = users[-1], (own[-1] if own else GREETING)
    said = " ".join(users)
    prefix = ""
    if _CLARIFY.search(last_user):
        prefix = "Sorry for the confusion, let me put it more simply. "
    elif _PUSHBACK.search(last_user):
        prefix = rng.choice(("I understand, and I apologize for the trouble. ", "I hear you, let me double-check. "))
    id_asks = sum("verify your identity" in o or "could you also" in o.lower() or "user id so" in o for o in own)
    confirm_asks = sum("(yes/no)" in o for o in own)
    if _ANYTHING_ELSE in last_own:
        return (f"{prefix}Of course. To confirm, you would like me to handle: \"{_summary(users[-1:])}\". "
                "Shall I proceed (yes/no)?")
    if not _IDENTIFIED.search(said) and id_asks < 3:
        return prefix + _identity_ask(domain, said, id_asks)
    if domain == "retail" and "#" not in said and not any("order ID" in o for o in own):
        return prefix + "Thanks, I found your account. Which order is this about? Please share the order ID (it starts with #W)."
    if "(yes/no)" in last_own and _AFFIRM.search(last_user) and not _PUSHBACK.search(last_user):
        done = rng.choice(("Done! I have processed your request.", "All done, the change has been made on your account."))
        return f"{done} {_ANYTHING_ELSE}"
    if confirm_asks < 3:
        return (f"{prefix}Thank you. To confirm, you would like me to handle: \"{_summary(users)}\". "
                "Shall I proceed (yes/no)?")
    return f"{prefix}I have gone ahead and processed your request. {_ANYTHING_ELSE}"
