"""Transcripts: what one episode produced, the unit every fitness measure reads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

STOP_TOKENS: dict[str, str] = {"###STOP###": "stop", "###TRANSFER###": "transfer", "###OUT-OF-SCOPE###": "out_of_scope"}
# "loop": the user model repeated itself or had nothing left to say (evopersona/simulate/user_turn.py).
EndedBy = Literal["stop", "transfer", "out_of_scope", "max_turns", "error", "loop"]


def strip_stop_tokens(text: str) -> str:
    for token in STOP_TOKENS:
        text = text.replace(token, "")
    return text.strip()


def stop_reason(text: str) -> EndedBy | None:
    """Why a user message ends the episode (τ² tests each token as a substring), or None."""
    for token, reason in STOP_TOKENS.items():
        if token in text:
            return reason  # type: ignore[return-value]
    return None


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Literal["user", "agent"]
    text: str


class Transcript(BaseModel):
    task_id: str
    domain: str
    persona_id: str | None = None
    policy: str | None = None
    turns: list[Turn]
    ended_by: EndedBy
    agent_success: bool | None = None
    error: str | None = None

    def user_turns(self) -> list[str]:
        """The user's messages with stop tokens removed; a message that was only a token is dropped."""
        texts = (strip_stop_tokens(t.text) for t in self.turns if t.role == "user")
        return [t for t in texts if t]
