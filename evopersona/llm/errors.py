"""Errors of the LLM gateway; both are WorkFailed, so a command exits 1 with the message."""

from __future__ import annotations

from evopersona.errors import WorkFailed


class BudgetExceeded(WorkFailed):
    """The run's LLM budget (dollars or calls) is spent: no new call is started."""


class LLMCallFailed(WorkFailed):
    """A call failed for good: a non-retryable error, or the last retry failed."""

    def __init__(self, role: str, model: str, cause: str, attempts: int) -> None:
        self.role = role
        self.model = model
        self.cause = cause
        self.attempts = attempts
        super().__init__(f"LLM call failed (role {role}, model {model}) after {attempts} attempt(s): {cause}")
