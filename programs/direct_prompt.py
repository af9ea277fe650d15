"""Direct-prompting baseline: one LLM call asks for N diverse personas, policies included, as JSON.

No behaviour axes guide it; it measures what plain "make diverse personas" prompting achieves. Real
models answer messily (a code fence, prose around the JSON, an object instead of an array, other key
names, a numbered list instead of JSON, too few or too many personas): the reply is repaired where
the personas can be read from it, the model is asked once more for the missing ones, and the
program fails with the reason when it still has fewer than N.
"""

import json
import re

AXES = []

SYSTEM = (
    "You design realistic customers for testing customer-service agents. Real customers differ in "
    "how they write and behave, never in what they need."
)

PROMPT = """Create {n} personas of customers who contact support about the scenario below.
Make them as different from one another as real people are: age, patience, writing habits,
trust in the company, how much they explain up front.

Scenario:
{scenario}

For each persona write a roleplay policy of 80-150 words saying HOW this person communicates in the
chat: message length, tone, typing habits, how they react to questions and to delays. The policy must
keep every goal and fact of the scenario exactly as given; it only changes how they are expressed.

Return only a JSON array of {n} objects with the keys "persona_id" (snake_case), "description"
(2-3 sentences about the person), "axis_placement" (an empty object) and "policy"."""


DESCRIPTION_KEYS = ("description", "desc", "bio", "background", "about", "summary", "profile", "persona")
POLICY_KEYS = ("policy", "roleplay_policy", "roleplay", "instructions", "style", "communication_style", "behavior",
               "behaviour")
ID_KEYS = ("persona_id", "id", "name", "persona_name")
MIN_PROSE_WORDS = 8


# Fences are matched as `{3}: three backticks in this file would end the fence the mutator sees it in.
def _json_values(text):
    """JSON values in a reply, most likely first: a fenced block, the widest [...] and {...} spans (a
    trailing comma forgiven), then every {...} object that decodes where it starts."""
    chunks = re.findall(r"`{3}(?:json)?\s*(.*?)`{3}", text, re.DOTALL) + [text]
    values = []
    for chunk in chunks:
        for opener, closer in (("[", "]"), ("{", "}")):
            start, end = chunk.find(opener), chunk.rfind(closer)
            if start != -1 and end > start:
                try:
                    values.append(json.loads(re.sub(r",\s*([\]}])", r"\1", chunk[start:end + 1])))
                except ValueError:
                    continue
    decoder = json.JSONDecoder()
    loose = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        loose.append(value)
        position = text.find("{", end)
    return values + ([loose] if loose else [])


def _persona_dicts(value):
    """The persona objects in a decoded value: an array of them, an object wrapping the array
    ({"personas": [...]}), an object of objects ({"p1": {...}}) or one persona object."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if not isinstance(value, dict):
        return []
    if any(key in value for key in DESCRIPTION_KEYS + POLICY_KEYS):
        return [value]
    for inner in value.values():
        if isinstance(inner, list) and any(isinstance(item, dict) for item in inner):
            return [item for item in inner if isinstance(item, dict)]
    return [inner for inner in value.values() if isinstance(inner, dict)]


def _text_of(item, keys):
    for key in keys:
        value = item.get(key)
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value).strip()
    return ""


def _from_json(text):
    """Personas (persona_id, description, policy) from the first JSON value in the reply that holds any."""
    for value in _json_values(text):
        people = []
        for item in _persona_dicts(value):
            description, policy = _text_of(item, DESCRIPTION_KEYS), _text_of(item, POLICY_KEYS)
            if description or policy:
                people.append({"persona_id": _text_of(item, ID_KEYS), "description": description or policy,
                               "policy": policy or description})
        if people:
            return people
    return []


def _from_prose(text):
    """Personas written as a numbered or bulleted list ("1. **Ann**: ...", "- Persona 2: ..."): each item
    of at least MIN_PROSE_WORDS words is one persona, its first sentence the description."""
    items = re.split(r"\n\s*(?:\d+[.)]|[-*•]|#+|persona \d+\s*[:.-])\s+", "\n" + text.strip(), flags=re.IGNORECASE)
    people = []
    for item in items:
        body = " ".join(item.replace("*", "").split())
        if len(body.split()) < MIN_PROSE_WORDS:
            continue
        label = re.match(r"([^:.!?]{1,40}):\s+", body)
        name = label.group(1) if label else ""
        body = body[label.end():] if label else body
        first = re.split(r"(?<=[.!?])\s+", body)[0]
        people.append({"persona_id": name, "description": first, "policy": body})
    return people


def _parse_personas(text):
    return _from_json(text) or _from_prose(text)


def generate(task, n, llm, rng):
    people = []
    replies = []
    for _attempt in range(2):
        missing = n - len(people)
        reply = llm.complete(PROMPT.format(n=missing, scenario=task["scenario"]), system=SYSTEM, temperature=0.9)
        replies.append(reply)
        people += _parse_personas(reply)[:missing]
        if len(people) >= n:
            break
    if len(people) < n:
        raise ValueError(f"asked for {n} personas, {len(replies)} replies gave {len(people)}; "
                         f"last reply began {replies[-1][:120]!r}")
    records = []
    for i, person in enumerate(people):
        persona_id = re.sub(r"[^a-z0-9]+", "_", person["persona_id"].lower()).strip("_")[:40] or "persona"
        records.append({
            "persona_id": f"{i + 1}_{persona_id}",
            "description": person["description"],
            "axis_placement": {},
            "policy": person["policy"],
        })
    return records
