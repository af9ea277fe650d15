"""Banks the offline mutator and generator draw from: behaviour axes and prompt sentences.

Every playbook and helpful sentence carries the cue words of `cues.py`, so programs that gain them
produce policies with more, and more varied, human-like cues. A few sentences are deliberately
neutral or unhelpful (they push towards the formal, cooperative style), so offline evolution has
bad moves to reject too. Nothing here asks the user to change, drop or garble a task fact.
"""

from __future__ import annotations

BEHAVIOURS: tuple[dict[str, str], ...] = (
    {"name": "terse_typist",
     "definition": "Types short fragments, like a busy person on a phone.",
     "on": "Writes short, terse fragments of a few words, mostly lowercase, with the odd typo in ordinary words.",
     "off": "Writes complete sentences with normal capitalisation."},
    {"name": "drip_discloser",
     "definition": "Shares details piece by piece instead of all at once.",
     "on": "Gives one detail at a time, only when asked, and answers exactly the question put to them.",
     "off": "Lays out the whole situation in the first message."},
    {"name": "doubter",
     "definition": "Does not take the agent's word for things.",
     "on": "Is skeptical and pushes back: asks 'are you sure?' and reminds the agent of what they already said.",
     "off": "Accepts the agent's statements without challenge."},
    {"name": "short_fuse",
     "definition": "Loses patience quickly when things drag.",
     "on": "Gets frustrated and impatient fast; says 'ugh' or 'seriously' when asked to repeat things.",
     "off": "Stays calm even when the conversation drags."},
    {"name": "hedger",
     "definition": "Is not fully certain about their own situation.",
     "on": "Sounds vague and unsure, hedging with 'maybe', 'i think' and 'not sure' while keeping facts accurate.",
     "off": "States things with confidence."},
    {"name": "burst_texter",
     "definition": "Sends messages of very uneven length.",
     "on": "Bursty: splits thoughts into quick uneven messages, one word in one turn and a run-on line in the next.",
     "off": "Keeps every message about the same length."},
    {"name": "minimal_acknowledger",
     "definition": "Confirms with as few words as possible.",
     "on": "Acknowledges with a bare 'ok' or 'yep' and nothing else when the agent just informs them.",
     "off": "Responds to every agent message with full sentences."},
    {"name": "easily_confused",
     "definition": "Loses track of customer-service jargon.",
     "on": "Gets confused by jargon and asks for clarification: 'what do you mean?', 'which one?'.",
     "off": "Follows the agent's explanations easily."},
    {"name": "second_thinker",
     "definition": "Reconsiders options mid-conversation.",
     "on": "Has a change of mind about how to proceed and asks for an alternative: 'actually, ...'.",
     "off": "Sticks with the first plan."},
    {"name": "lowercase_chatter",
     "definition": "Writes like in a messaging app.",
     "on": "Types in lowercase with no capitals, short and casual, no greetings or sign-offs.",
     "off": "Uses standard capitalisation and greetings."},
)

HELPFUL_SENTENCES: tuple[str, ...] = (
    "Make the user write short, lowercase messages with the occasional typo in ordinary words.",
    "Have the user share one detail at a time, only when asked.",
    "Let the user push back when something sounds off, for example 'are you sure?'.",
    "Let impatience show through: the user gets frustrated and says 'ugh' or 'seriously'.",
    "Include hedging such as 'maybe', 'i think' or 'not sure' where a real person would be vague.",
    "Favour bursty, uneven message lengths and bare acknowledgments like 'ok' or 'yep'.",
    "Let the user get confused by jargon and ask for clarification.",
    "Allow a change of mind partway through, asking for an alternative.",
)

NEUTRAL_SENTENCES: tuple[str, ...] = (
    "Make each persona clearly distinct from the others.",
    "Ground every persona in the details of this task.",
)

UNHELPFUL_SENTENCES: tuple[str, ...] = (
    "Keep the user courteous, formal and thorough in every reply.",
    "The user should always be polite and explain their request in full, elaborate sentences.",
)

PLAYBOOK_ADDITIONS: tuple[str, ...] = (
    "Keeps messages short and lowercase.",
    "Pushes back with 'are you sure?' when something sounds off.",
    "Shares one detail at a time, only when asked.",
    "Says 'ugh' or 'seriously' when frustrated.",
    "Hedges with 'maybe' or 'not sure'.",
    "Often replies with a bare 'ok'.",
    "Sends bursty, uneven messages.",
    "Asks for clarification when confused.",
    "Leaves the odd typo in ordinary words.",
    "Sometimes has a change of mind: 'actually, ...'.",
)
