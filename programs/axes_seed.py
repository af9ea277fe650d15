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
delays or refusals. Vary only how the goals are pursued: never tell them to change, misstate, mistype
or forget any fact or goal, or to refuse information for good. Do not mention simulations or AI."""

NEUTRAL = "Writes naturally and answers the agent's questions plainly."


def _axis_lines(axes):
    return "\n".join(f"- {a['name']}: {a['definition']}" for a in axes)


def _parse_population(text, axes):
    match = re.search(r"\[.*\]", text, re.DOTALL)
    if not match:
        raise ValueError("the population reply holds no JSON array")
    names = [a["name"] for a in axes]
    people = []
    for item in json.loads(match.group(0)):
        if not isinstance(item, dict) or not item.get("description"):
            continue
        raw = item.get("axis_placement") if isinstance(item.get("axis_placement"), dict) else {}
        placement = {name: raw.get(name) is True or str(raw.get(name)).lower() == "true" for name in names}
        people.append({"persona_id": str(item.get("persona_id") or "persona"),
                       "description": str(item["description"]), "axis_placement": placement})
    return people


def generate(task, n, llm, rng):
    reply = llm.complete(POPULATION_PROMPT.format(n=n, axes=_axis_lines(AXES), scenario=task["scenario"]),
                         system=POPULATION_SYSTEM, temperature=0.8)
    people = _parse_population(reply, AXES)
    if len(people) < n:
        raise ValueError(f"asked for {n} personas, the population reply held {len(people)}")
    people = people[:n]
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
         "axis_placement": person["axis_placement"], "policy": policy.strip()}
        for i, (person, policy) in enumerate(zip(people, policies))
    ]
