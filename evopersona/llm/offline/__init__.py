"""The offline provider: a deterministic stand-in for every LLM role, so evopersona runs with no key.

It is not a language model. Each role (mutator, generator, user, agent, judge, reflection) follows
the structure its callers expect (docs/contracts.md "Offline provider", docs/offline-provider.md):
valid SEARCH/REPLACE diffs, persona JSON, user turns shaped by the behaviour cues of a policy
(cues.py), scripted agent turns, `VERDICT:` lines. The answer is a pure function of the request
(messages, temperature, seed). `register()` adds it to litellm as the custom provider `offline`.
"""

from __future__ import annotations

from evopersona.llm.offline.roles import respond


def register() -> None:
    """Register the `offline` litellm provider (imports litellm only when called)."""
    from evopersona.llm.offline.provider import register as register_with_litellm

    register_with_litellm()


__all__ = ["register", "respond"]
