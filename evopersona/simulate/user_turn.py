"""Cleaning a user model's reply into one user turn, and telling when a conversation is stuck.

Real (small) models do not always answer as the user alone: they prefix "User:", continue the
dialogue with an "Agent:" line, parrot the agent's last message, or answer as the agent themselves
("Thank you for contacting us! How can I help you?": the role confusion of a small model asked to play
the customer). The turn keeps only what the user says; a sentence only the service side would say is
dropped. A conversation is stuck when the user keeps saying the same thing (a loop).
"""

from __future__ import annotations

import re

_USER_LABEL = r"(?:user|customer|client|me|human|you)"
_AGENT_LABEL = r"(?:agent|assistant|support|representative|rep|customer service|customer support|ai|bot|system)"
_LABEL_DECOR = r"[\s>*_#\[\]()\"']*"
_LEADING_USER = re.compile(rf"^{_LABEL_DECOR}{_USER_LABEL}{_LABEL_DECOR}:{_LABEL_DECOR}", re.IGNORECASE)
_AGENT_LINE = re.compile(rf"^{_LABEL_DECOR}{_AGENT_LABEL}{_LABEL_DECOR}:", re.IGNORECASE | re.MULTILINE)
_USER_LINE = re.compile(rf"^{_LABEL_DECOR}{_USER_LABEL}{_LABEL_DECOR}:", re.IGNORECASE | re.MULTILINE)
_WORDS = re.compile(r"[a-z0-9#@.\-]+")
# What the service side says and a customer does not: offers of help, thanks for the contact, requests
# for the customer's own details ("your order number").
_AGENT_SPEAK = re.compile(
    r"\b(?:how (?:can|may|could|shall) (?:i|we) (?:help|assist)|(?:i|we)(?:'d| would| will|'ll)? be (?:happy|glad|delighted) to"
    r"|(?:i'm|i am|we're|we are) (?:here|happy|glad) to (?:help|assist)|thank(?:s| you) for (?:contacting|reaching out|choosing|calling|your patience)"
    r"|(?:i'm|i am) (?:sorry|afraid),? (?:but )?(?:i|we) (?:can't|cannot|can not|am not able to|'m not able to|am unable to|'m unable to)"
    r"|(?:i|we) (?:can't|cannot|am not able to|'m not able to|am unable to|'m unable to) (?:help|assist)"
    r"|is there anything else (?:i|we) can|(?:i|we) can (?:help|assist) you|welcome to (?:our|the)|our (?:customer )?(?:support|service) team"
    r"|as (?:a|an|your) (?:customer service|support|ai)|(?:provide|confirm|share|give me|tell me) your "
    r"(?:full )?(?:name|e-?mail|order|user|zip|address|phone|account)|what(?:'s| is) your (?:name|e-?mail|order|user|zip|address))",
    re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# A user saying the same thing this many times (counting the new turn) is a loop; turns shorter than
# LOOP_MIN_WORDS ("yes", "ok", "thanks") are what people repeat all the time, so they never count.
LOOP_REPEATS = 3
AGENT_LEFTOVER_WORDS = 3
LOOP_MIN_WORDS = 4


def normalise(text: str) -> str:
    """Lower-case words only: two turns that differ in spacing or punctuation are the same turn."""
    return " ".join(_WORDS.findall(text.lower())).strip(" .")


def clean_user_turn(text: str, last_agent: str) -> str:
    """The user's own words: role labels, a continued dialogue and a parroted agent message removed."""
    turn = text.replace("\r\n", "\n").strip()
    turn = _LEADING_USER.sub("", turn, count=1)
    agent_line = _AGENT_LINE.search(turn)
    if agent_line is not None:
        turn = turn[:agent_line.start()]
    second_user = _USER_LINE.search(turn)
    if second_user is not None and second_user.start() > 0:
        turn = turn[:second_user.start()]
    echo = last_agent.strip()
    if echo and turn.startswith(echo):
        turn = turn[len(echo):]
    if echo and normalise(turn) == normalise(echo):
        return ""
    sentences = _SENTENCE.split(turn.strip())
    own = [sentence for sentence in sentences if not _AGENT_SPEAK.search(sentence)]
    if len(own) < len(sentences) and len(" ".join(own).split()) < AGENT_LEFTOVER_WORDS:
        return ""  # what is left of an agent-voiced reply ("Hello!") is no turn of the user's
    return " ".join(own).strip().strip('"').strip()


def is_loop(previous_user_turns: list[str], turn: str, previous_agent_turns: list[str]) -> bool:
    """The new turn makes the conversation a loop: said for the LOOP_REPEATS-th time, or both sides
    repeat their last exchange word for word."""
    said = normalise(turn)
    earlier = [normalise(t) for t in previous_user_turns]
    if len(said.split()) >= LOOP_MIN_WORDS and earlier.count(said) + 1 >= LOOP_REPEATS:
        return True
    agents = [normalise(t) for t in previous_agent_turns]
    return bool(earlier) and earlier[-1] == said and len(agents) >= 2 and agents[-1] == agents[-2]
