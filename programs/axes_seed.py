"""Axes seed: place N personas on behaviour axes in one call, then expand each into a roleplay policy.

Stage 1 asks for the whole population at once (so the model can spread it over the axes); stage 2
writes one policy per persona from only its active axes' playbooks, all requests in parallel. The
axes live here so evolution can add, drop or rewrite them.
"""

import json
import re

AXES = [
    {
        "name": "terse",
        "definition": "Writes in short, clipped messages instead of full explanatory sentences.",
        "on": "Keeps messages short, often fragments of a few words, lowercase, little punctuation, "
              "the occasional typo in ordinary words (never in names, numbers, emails or ids).",
        "off": "Writes complete, well-formed sentences and explains the situation in context.",
    },
    {
        "name": "skeptical",
        "definition": "Doubts what the agent says and wants reasons before going along with it.",
        "on": "Pushes back on claims, asks why a step is needed and what it will change, and wants the "
              "agent to confirm details before agreeing to anything.",
        "off": "Accepts the agent's explanations and follows the proposed steps without argument.",
    },
    {
        "name": "frustrated",
        "definition": "Is already annoyed by the problem and lets it show.",
        "on": "Sounds frustrated and impatient, complains about the hassle, repeats the request when "
              "things feel slow, and skips pleasantries.",
        "off": "Stays calm and courteous even while explaining a problem.",
    },
    {
        "name": "ambiguous",
        "definition": "Starts vague and gives details piece by piece rather than all up front.",
        "on": "Opens vaguely, sounds unsure about the specifics, and gives one detail at a time, only "
              "when asked, though every detail they are asked for is given accurately.",
        "off": "States the request and the relevant details clearly in the first message.",
    },
]

POPULATION_SYSTEM = (
    "You imagine believable, psychologically coherent people who contact customer support. "
    "Describe people, not configurations."
)

POPULATION_PROMPT = """Create {n} personas for the support scenario below. Every persona must set each
behaviour axis to true or false; cover the combinations as widely as you can, and never switch on two
axes that would contradict each other.

Behaviour axes:
{axes}

Scenario:
{scenario}

Give each persona a snake_case persona_id and a 2-3 sentence description of who they are.
Return only a JSON array of objects with keys persona_id, description, axis_placement (axis name to
true/false) and reasoning."""

EXPANSION_SYSTEM = (
    "You write roleplay instructions for a person chatting with customer support. They change how the "
    "person communicates, never what the person wants or knows."
)

EXPANSION_PROMPT = """Persona: {persona_id}
Who they are: {description}

Active behaviours:
{active}

Scenario (their goals and facts; keep every one of them exactly as given):
{scenario}

Write 120-200 words of second-person roleplay instructions for this persona in this scenario: how long
their messages are, their tone and vocabulary, how they answer the agent's questions and react to
delays or refusals. Vary only how the goals are pursued: every fact and goal stays exactly as given
and is never refused for good. Do not mention simulations or AI."""

NEUTRAL = "Writes naturally and answers the agent's questions plainly."


def _axis_lines(axes):
    return "\n".join(f"- {a['name']}: {a['definition']}" for a in axes)


DESCRIPTION_KEYS = ("description", "desc", "bio", "background", "about", "summary", "profile", "persona")
ID_KEYS = ("persona_id", "id", "name", "persona_name")


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
    if any(key in value for key in DESCRIPTION_KEYS):
        return [value]
    for inner in value.values():
        if isinstance(inner, list) and any(isinstance(item, dict) for item in inner):
            return [item for item in inner if isinstance(item, dict)]
    return [inner for inner in value.values() if isinstance(inner, dict)]


def _placement(item, names):
    raw = item.get("axis_placement") or item.get("axes") or item
    if isinstance(raw, list):
        raw = {str(name): True for name in raw}
    if not isinstance(raw, dict):
        raw = {}
    return {name: raw.get(name) is True or str(raw.get(name)).strip().lower() in ("true", "yes", "1", "on")
            for name in names}


def _parse_population(text, axes):
    """Personas with a description, from the first JSON value in the reply that holds any."""
    names = [a["name"] for a in axes]
    for value in _json_values(text):
        people = []
        for item in _persona_dicts(value):
            description = next((str(item[k]).strip() for k in DESCRIPTION_KEYS
                                if isinstance(item.get(k), str) and item[k].strip()), "")
            if not description:
                continue
            name = next((str(item[k]) for k in ID_KEYS if item.get(k)), "persona")
            persona_id = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "persona"
            people.append({"persona_id": persona_id, "description": description,
                           "axis_placement": _placement(item, names)})
        if people:
            return people
    return []


def _placed_by_program(count, taken, axes, rng):
    """Personas the reply did not provide: unused axis combinations, spread by `rng`."""
    names = [a["name"] for a in axes]
    combos = [tuple(bool(bits >> i & 1) for i in range(len(names))) for bits in range(2 ** len(names))]
    rng.shuffle(combos)
    combos.sort(key=lambda combo: combo in taken)
    people = []
    for combo in combos[:count]:
        placement = dict(zip(names, combo))
        active = [name for name, on in placement.items() if on]
        people.append({"persona_id": "_".join(active) or "plain",
                       "description": "A customer who is " + (", ".join(active) or "plain-spoken") + ".",
                       "axis_placement": placement})
    return people


def _population(task, n, llm, rng):
    """n personas: the model's (asked twice at most, surplus dropped), then program-placed ones."""
    people = []
    for _attempt in range(2):
        missing = n - len(people)
        reply = llm.complete(POPULATION_PROMPT.format(n=missing, axes=_axis_lines(AXES), scenario=task["scenario"]),
                             system=POPULATION_SYSTEM, temperature=0.8)
        people += _parse_population(reply, AXES)[:missing]
        if len(people) >= n:
            return people
    taken = {tuple(p["axis_placement"][a["name"]] for a in AXES) for p in people}
    return people + _placed_by_program(n - len(people), taken, AXES, rng)


def _clean_policy(text, person):
    """The model's instructions without fences or quotes; an empty reply falls back to the description."""
    policy = re.sub(r"`{3}[a-z]*", "", text).strip().strip('"').strip()
    return policy or f"Write to the agent the way this person would: {person['description']} {NEUTRAL}"


def generate(task, n, llm, rng):
    people = _population(task, n, llm, rng)
    playbooks = {a["name"]: a["on"] for a in AXES}
    prompts = []
    for person in people:
        active = [f"- {name}: {playbooks[name]}" for name, on in person["axis_placement"].items() if on]
        prompts.append(EXPANSION_PROMPT.format(persona_id=person["persona_id"], description=person["description"],
                                               active="\n".join(active) or f"- none: {NEUTRAL}",
                                               scenario=task["scenario"]))
    policies = llm.complete_many(prompts, system=EXPANSION_SYSTEM, temperature=0.7)
    return [
        {"persona_id": f"{i + 1}_{person['persona_id']}", "description": person["description"],
         "axis_placement": person["axis_placement"], "policy": _clean_policy(policy, person)}
        for i, (person, policy) in enumerate(zip(people, policies))
    ]
