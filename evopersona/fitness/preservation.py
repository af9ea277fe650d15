"""Task preservation: a policy may change how the user talks, never what the user wants or knows.

`check_policy_rules` is a cheap deterministic screen: the policy is split into sentences and each
sentence is matched against the rules below (data, not code). A rule fires when a sentence tells the
user to change, falsify, mistype, forget or permanently withhold a fact or goal of the scenario;
a negation before the verb ("never give a wrong zip") or a timing qualifier on withholding ("only
when asked", "one at a time") makes it harmless. Typos are fine in casual words, not in identifiers.
`judge_policy` asks the LLM judge the same question (gateway role "judge", `VERDICT: PASS|FAIL`).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from evopersona.tasks import Task

FACT = (r"(?:e-?mail|name|user ?(?:name|id)|ids?|identifiers?|order (?:number|id|#)|order|account(?: number)?|"
        r"zip(?: ?code)?|post(?:al)? ?code|address|phone(?: number)?|reservation(?: (?:number|id|code))?|"
        r"confirmation (?:number|code)|booking (?:number|reference|code)|password|pin|date of birth|birthday|"
        r"payment (?:method|details)|card(?: number)?|item|product|details?|information|info|facts?)")
GOAL = r"(?:goal|request|requirement|task|need|needs|constraint|preference|reason for (?:calling|contacting)|issue)"
NEGATION = r"\b(?:never|not|don['’]?t|do not|doesn['’]?t|avoid|no)\b(?:\W+\w+){0,3}\W+$"

RULES: list[dict[str, str]] = [
    {"name": "mistype_identifier",
     "pattern": rf"\b(?:typos?|misspell\w*|mistype\w*|garble\w*|scrambl\w*|wrong spelling|swap (?:two )?(?:digits|letters))\b.*\b{FACT}\b"
                rf"|\b{FACT}\b.*\b(?:with|containing|including) (?:a |some )?(?:typos?|misspellings?|mistakes?)\b",
     "reason": "tells the user to mistype an identifier or fact (typos are fine only in casual words)"},
    {"name": "falsify_fact",
     "pattern": rf"\b(?:give|provide|say|state|use|enter|type|quote|tell|offer)\b.*\b(?:wrong|false|fake|incorrect|made[- ]up|bogus|invented|different|another)\b.*\b{FACT}\b"
                rf"|\b(?:lie|lying) about\b|\bpretend (?:that )?(?:your|the) {FACT}\b",
     "reason": "tells the user to give false or different facts"},
    {"name": "invent_fact",
     "pattern": rf"\b(?:invent|make up|fabricate)\b.*\b(?:{FACT}|{GOAL}s?)\b",
     "reason": "tells the user to invent facts or requirements the scenario does not have"},
    {"name": "forget_goal",
     "pattern": rf"\b(?:forget|drop|abandon|ignore|skip|omit|leave out|give up on|stop asking (?:for|about))\b"
                rf"(?:[^\w,;.]+\w+){{0,4}}[^\w,;.]+(?:{GOAL}s?|{FACT})\b",
     "reason": "tells the user to forget or drop a goal or fact of the scenario"},
    {"name": "change_goal",
     "pattern": rf"\b(?:change|switch|alter|replace|modify)\b (?:your|the) (?:{GOAL}s?|destination|mind about what you want)\b"
                r"|\bask for (?:something|a different \w+) (?:else|than|instead)\b|\bwant something else\b",
     "reason": "tells the user to change what they want"},
    {"name": "withhold_fact",
     "pattern": rf"\b(?:never|refuse to|decline to|don['’]?t|do not|won['’]?t|will not|must not)\b(?:\W+\w+){{0,2}}\W+"
                rf"(?:give|share|provide|reveal|disclose|tell|mention|say|confirm)\b(?:\W+\w+){{0,3}}\W+{FACT}\b",
     "reason": "tells the user to withhold a fact the agent needs, for the whole conversation"},
]
NEGATABLE = {"mistype_identifier", "falsify_fact", "invent_fact", "forget_goal", "change_goal"}
QUALIFIERS = re.compile(
    r"\b(?:until|unless|before|only when|only if|when asked|if asked|at first|initially|right away|immediately|"
    r"up ?front|all at once|at once|in one go|in the first (?:message|turn)|without being asked|one at a time|"
    r"in (?:one|a single) message|volunteer|first message|first turn|yet)\b"
)
CASUAL_TYPOS = re.compile(r"\b(?:casual|ordinary|common|filler|everyday|non-?essential) words?\b|\bnever (?:in|inside)\b|\bnot (?:in|inside)\b|\bexcept\b")
FALSE_WORDS = re.compile(r"\b(?:wrong|false|fake|incorrect|made[- ]up|bogus|invented)\b")
_SENTENCES = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+-\s+|\s*•\s*")
_COMPILED = [(r["name"], re.compile(r["pattern"]), r["reason"]) for r in RULES]
_NEGATION = re.compile(NEGATION)


class PreservationVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)
    passed: bool
    reasons: list[str]
    judge_unparseable: bool = False  # the LLM judge's reply had no readable verdict (the rules decided)


def _negated(sentence: str, start: int) -> bool:
    return bool(_NEGATION.search(sentence[:start]))


def _sentence_violations(sentence: str) -> list[str]:
    out: list[str] = []
    for name, regex, reason in _COMPILED:
        match = regex.search(sentence)
        if not match:
            continue
        if name in NEGATABLE and _negated(sentence, match.start()):
            continue
        if name == "mistype_identifier" and CASUAL_TYPOS.search(sentence):
            continue
        if name == "withhold_fact" and (QUALIFIERS.search(sentence) or FALSE_WORDS.search(match.group(0))):
            continue
        out.append(f"{name}: {reason}: \"{sentence.strip()[:160]}\"")
    return out


def _scenario_terms(task: Task) -> set[str]:
    """Distinctive words of the scenario (for 'forget the half-zipper' style instructions)."""
    text = " ".join(filter(None, [task.reason_for_call, task.known_info, task.task_instructions])).lower()
    return {w for w in re.findall(r"[a-z][a-z-]{4,}", text)}


_DROP = re.compile(r"\b(?:forget|drop|abandon|ignore|skip|omit|leave out|give up on)\b(?:\W+[\w-]+){0,4}")


def check_policy_rules(policy: str, task: Task) -> PreservationVerdict:
    """Does the policy keep every goal and fact of the task? Deterministic rule screen."""
    reasons: list[str] = []
    terms = _scenario_terms(task)
    for sentence in filter(str.strip, _SENTENCES.split(policy.lower())):
        found = _sentence_violations(sentence)
        drop = _DROP.search(sentence)
        if not found and drop and not _negated(sentence, drop.start()):
            hit = sorted(terms & set(re.findall(r"[a-z][a-z-]{4,}", drop.group(0))))
            if hit:
                found.append(f"forget_goal: tells the user to drop scenario detail '{hit[0]}': \"{sentence.strip()[:160]}\"")
        reasons += found
    return PreservationVerdict(passed=not reasons, reasons=reasons)


def preservation_score(verdicts: list[PreservationVerdict]) -> float:
    """Share of policies that pass (1.0 for no policies: the no-persona baseline changes nothing)."""
    return sum(v.passed for v in verdicts) / len(verdicts) if verdicts else 1.0
