"""The offline reflection: a short analysis built from the numbers and behaviours in the prompt.

It names the strongest and weakest reported metrics, the behaviours the prompt mentions, and
human-like behaviours the program does not use yet, which is the kind of hint the mutator reads.
"""

from __future__ import annotations

import re
from typing import Any

from evopersona.llm.offline.behaviours import BEHAVIOURS
from evopersona.llm.offline.cues import CUES
from evopersona.llm.offline.text import prompt_text, request_rng

_METRIC = re.compile(r"\b([a-z][a-z_ ]{2,40}?)\s*[:=]\s*(-?\d+(?:\.\d+)?)\b", re.IGNORECASE)


def respond_reflection(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    prompt = prompt_text(messages)
    rng = request_rng(messages, temperature, seed)
    metrics = {name.strip().lower(): float(value) for name, value in _METRIC.findall(prompt)}
    scored = {k: v for k, v in metrics.items() if 0.0 <= v <= 1.0}
    present = [c.name for c in CUES if c.pattern.search(prompt)]
    missing = [b["name"] for b in BEHAVIOURS if b["name"] not in prompt]
    lines: list[str] = []
    if scored:
        best = max(scored, key=scored.__getitem__)
        worst = min(scored, key=scored.__getitem__)
        lines.append(f"What worked: {best} is the strongest result at {scored[best]:.2f}.")
        lines.append(f"What did not: {worst} lags at {scored[worst]:.2f} and is where the next change should aim.")
    else:
        lines.append("No scores were reported, so this reflection rests on the program text alone.")
    if present:
        lines.append(f"Behaviours in play: {', '.join(present)}.")
    if "formal" in present:
        lines.append("Formal, polite wording makes users sound like a cooperative simulator; use it sparingly.")
    if missing:
        lines.append(f"Not yet used: {', '.join(rng.sample(missing, min(3, len(missing))))}; adding one could widen coverage.")
    return "\n".join(lines)
