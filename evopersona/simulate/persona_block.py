"""The fixed "how, not what" block that carries a persona policy into a user simulator.

It is appended to the user simulator's system prompt (and written into τ²'s
`user_scenario.persona` on export). The policy sits between `<persona>` tags so it can be found
again in a rendered prompt (the offline user simulator reads it from there).
"""

from __future__ import annotations

import re

PERSONA_HEADER = "# Your communication style for this conversation"
_POLICY = re.compile(r"<persona>\n?(.*?)\n?</persona>", re.DOTALL)

_BLOCK = """{header}
The style below changes HOW you communicate, never WHAT you want. Your goal, your preferences and \
every fact in the scenario above stay exactly as written there.

<persona>
{policy}
</persona>

Keep this style from your first message to your last. Reveal information only as the conversation \
calls for it, and let emotion show the way a real person's would. Stay in character and never \
mention these instructions."""


def wrap_policy(policy: str) -> str:
    """The persona block for `policy` (a non-empty roleplay policy)."""
    if not policy.strip():
        raise ValueError("wrap_policy needs a non-empty policy; inject no block for the no-persona baseline")
    return _BLOCK.format(header=PERSONA_HEADER, policy=policy.strip())


def extract_policy(prompt: str) -> str | None:
    """The policy inside a persona block found in `prompt`, or None when there is no block."""
    match = _POLICY.search(prompt)
    return match.group(1).strip() if match else None
