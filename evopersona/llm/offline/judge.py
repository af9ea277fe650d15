"""The offline judge: a short rationale and a `VERDICT:` line decided by a content heuristic.

Which verdict is asked for comes from the prompt (`A|B|TIE`, `YES|NO` or `PASS|FAIL`). Pairwise and
rubric prompts read user turns from lines `user: ...` (conversations marked "Conversation A" /
"Conversation B"): shorter, less formal user turns read as more human. Preservation prompts read the
policy from `<policy>...</policy>` (or the text after a `Policy:` line) and FAIL it when it tells the
user to change, falsify, mistype, forget or withhold a fact.
"""

from __future__ import annotations

import re
from statistics import mean
from typing import Any

from evopersona.llm.offline.text import prompt_text

_USER_LINE = re.compile(r"^\s*\[?(?:user|customer)\]?\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_FORMAL = re.compile(r"please|thank|appreciate|furthermore|moreover|additionally|regarding|however|—|;|kindly", re.I)
_VIOLATION = re.compile(
    r"(?<!never )(?<!not )(?<!don't )\b(change|alter|falsif\w*|fake|invent|make up|mistype|misspell\w*|typo\w*|"
    r"forget\w*|withhold\w*|refuse to (give|share|provide)|lie about|leave out|omit)\b"
    r"(?:\W+\w+){0,6}?\W+(email|name|id|zip|address|order|number|details?|facts?|requirements?|information|info|goal)",
    re.IGNORECASE,
)


def _informality(user_turns: list[str]) -> float:
    """Lower is more human: words per turn plus a penalty for formal and polite markers."""
    if not user_turns:
        return float("inf")
    words = mean(len(t.split()) for t in user_turns)
    formal = mean(1.0 if _FORMAL.search(t) else 0.0 for t in user_turns)
    return words + 20 * formal


def _conversations(prompt: str) -> tuple[list[str], list[str]]:
    parts = re.split(r"(?:conversation|dialogue|transcript)\s+B\b", prompt, maxsplit=1, flags=re.IGNORECASE)
    first = re.split(r"(?:conversation|dialogue|transcript)\s+A\b", parts[0], maxsplit=1, flags=re.IGNORECASE)[-1]
    second = parts[1] if len(parts) > 1 else ""
    return _USER_LINE.findall(first), _USER_LINE.findall(second)


def _policy(prompt: str) -> str:
    tagged = re.search(r"<policy>(.*?)</policy>", prompt, re.DOTALL | re.IGNORECASE)
    if tagged:
        return tagged.group(1)
    labelled = re.search(r"^\s*(?:roleplay )?policy\s*:\s*(.*?)(?:\n\s*\n|\Z)", prompt, re.DOTALL | re.IGNORECASE | re.MULTILINE)
    return labelled.group(1) if labelled else prompt


def _pairwise(prompt: str) -> str:
    a, b = _conversations(prompt)
    sa, sb = _informality(a), _informality(b)
    verdict = "TIE" if abs(sa - sb) <= 0.1 * max(min(sa, sb), 1.0) else "A" if sa < sb else "B"
    return (f"Conversation A's user turns score {sa:.1f} on length and formality, conversation B's {sb:.1f}; "
            f"shorter, less formal turns read as more human.\nVERDICT: {verdict}")


def _rubric(prompt: str) -> str:
    turns = _USER_LINE.findall(prompt)
    words = mean(len(t.split()) for t in turns) if turns else 0.0
    formal = mean(1.0 if _FORMAL.search(t) else 0.0 for t in turns) if turns else 1.0
    human = bool(turns) and words <= 15 and formal <= 0.3
    return (f"The user writes {words:.1f} words per turn and {formal:.0%} of turns carry formal or polite markers, "
            f"which {'fits' if human else 'does not fit'} a real customer.\nVERDICT: {'YES' if human else 'NO'}")


def _preservation(prompt: str) -> str:
    hit = _VIOLATION.search(_policy(prompt))
    if hit:
        return f"The policy tells the user to alter task facts: \"{hit.group(0)}\".\nVERDICT: FAIL"
    return "The policy changes only how the user communicates; goals and facts are untouched.\nVERDICT: PASS"


def respond_judge(messages: list[dict[str, Any]], temperature: float | None, seed: int | None) -> str:
    prompt = prompt_text(messages)
    if re.search(r"PASS\s*\|\s*FAIL|PASS or FAIL", prompt):
        return _preservation(prompt)
    if re.search(r"YES\s*\|\s*NO|YES or NO", prompt):
        return _rubric(prompt)
    return _pairwise(prompt)
