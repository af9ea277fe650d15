"""The behaviour cues the offline user simulator understands, as plain reviewable data.

A cue is switched on when its regex matches the persona policy; each hit raises its strength. The
phrase banks below are what the cue inserts into user turns. They move the fingerprint features of
method.md §1.6 (length, politeness, formality, acknowledgments, disclosure, hedging, pushback,
clarification, emotion, pivots) the way real people's turns do. No phrase touches a task fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    name: str
    pattern: re.Pattern[str]
    effect: str


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


CUES: tuple[Cue, ...] = (
    Cue("short", _rx(r"\bshort\b|\bterse|fragment|\bbrief\b|\bconcise|few words|\bclipped"),
        "short turns: the core of the message only, a handful of words"),
    Cue("lowercase", _rx(r"lower[- ]?case|no capital|never capitali[sz]"),
        "everything lowercase except ids, emails and names"),
    Cue("typos", _rx(r"\btypos?\b|misspell|sloppy spelling|spelling slip"),
        "letter swaps in ordinary words, never inside ids, emails, names or numbers"),
    Cue("late_disclosure", _rx(r"one (detail|thing|fact|piece) at a time|only when asked|when (the agent )?asks?|"
                               r"piece by piece|gradually|drip"),
        "gives one fact per turn and only the fact the agent asked for"),
    Cue("pushback", _rx(r"skeptic|push(es)? back|pushback|challeng|doubt|question(s)? (every|each|the agent)"),
        "challenges the agent: 'are you sure?', 'i already told you'"),
    Cue("frustration", _rx(r"frustrat|impatien|annoy|irritat|\bangry|fed up|exasperat"),
        "interjections of frustration: 'ugh', 'seriously', 'this is taking forever'"),
    Cue("hedging", _rx(r"\bvague|unsure|uncertain|hedg|not sure|hesitant|tentative"),
        "hedges: 'maybe', 'i think', 'not sure'"),
    Cue("bursty", _rx(r"burst|\bsplit|uneven|rapid[- ]fire|several quick"),
        "uneven turn lengths: some one-word turns, some run-on ones"),
    Cue("acknowledgment", _rx(r"acknowledg|\bok\b|\bokay\b|\byep\b|\bbare\b"),
        "bare acknowledgments as whole turns: 'ok', 'yep', 'k'"),
    Cue("clarification", _rx(r"confus|clarif|doesn'?t understand|gets lost|asks what .* means"),
        "clarification questions: 'what do you mean?', 'which one?'"),
    Cue("pivot", _rx(r"change of mind|changes? (their|his|her|your) mind|alternative|second thought|pivot|switch(es)? plans?"),
        "pivots: 'actually, ...', 'on second thought'"),
    Cue("formal", _rx(r"\bformal|\bpolite|verbose|courteous|elaborate|thorough|long-winded"),
        "long formal polite sentences with connectives and thanks"),
)

CUE_NAMES: tuple[str, ...] = tuple(c.name for c in CUES)

PUSHBACK = ("are you sure?", "i already told you", "that's not right", "like i said", "are you sure about that?")
FRUSTRATION = ("ugh", "seriously", "come on", "this is taking forever", "ugh seriously")
HEDGES = ("maybe", "i think", "not sure but", "i guess", "probably")
ACKS = ("ok", "yep", "ok", "sure", "k", "yeah", "got it", "fine")
CLARIFY = ("what do you mean?", "which one?", "wait what", "huh?", "i don't understand")
PIVOTS = ("actually,", "on second thought,", "actually wait,", "or maybe")
FORMAL_OPENERS = ("Hello! I hope you are doing well.", "Good afternoon, and thank you for taking my request.",
                  "Hello there, I hope your day is going well.")
FORMAL_CONNECTIVES = ("Furthermore,", "Additionally,", "Moreover,", "In addition,")
FORMAL_THANKS = ("Thank you so much for your help!", "I really appreciate your assistance.",
                 "Thank you very much for your patience and help.")
CASUAL_CLOSERS = ("nope thats it", "no thats all", "nah im good", "thats it thx", "no")


def cue_strengths(policy: str) -> dict[str, int]:
    """Number of trigger hits per cue in a policy (0 = the cue is off)."""
    return {c.name: len(c.pattern.findall(policy)) for c in CUES if c.pattern.search(policy)}
