"""Compositional generator: no LLM. Each persona draws every axis independently with its own weight
and its policy is assembled from the drawn axes' playbooks. Fast and fully reproducible from `rng`.

`WEIGHTS` (probability that an axis is on) is the knob evolution is expected to turn.
"""

AXES = [
    {
        "name": "terse",
        "definition": "Writes short, clipped messages.",
        "on": "Keep every message short: fragments of a few words, lowercase, little punctuation, and "
              "now and then typos in ordinary words (never in names, numbers, emails or order ids).",
        "off": "Write complete sentences with normal capitalisation and punctuation.",
    },
    {
        "name": "incremental",
        "definition": "Discloses details gradually instead of all at once.",
        "on": "Do not list everything in the first message. Give one detail at a time, only when asked, "
              "and always give the detail accurately when the agent asks for it.",
        "off": "State what you need and the details the agent will need up front.",
    },
    {
        "name": "skeptical",
        "definition": "Questions the agent before going along.",
        "on": "Push back on what the agent proposes: ask why a step is needed and want the details "
              "confirmed before you agree.",
        "off": "Go along with reasonable steps the agent proposes.",
    },
    {
        "name": "frustrated",
        "definition": "Is annoyed and impatient about the problem.",
        "on": "You are frustrated and impatient: complain about the hassle, skip pleasantries, and "
              "repeat your request if the agent is slow.",
        "off": "Stay calm and courteous.",
    },
    {
        "name": "vague",
        "definition": "Starts unsure and imprecise.",
        "on": "Open vaguely and sound unsure ('something like', 'i think'), then firm up as the agent "
              "asks questions; the facts themselves stay exactly right.",
        "off": "Be precise from the start.",
    },
    {
        "name": "bursty",
        "definition": "Uneven message lengths.",
        "on": "Be bursty: sometimes split one thought over two quick messages, sometimes send a long "
              "one after several short ones.",
        "off": "Keep a steady rhythm of similar-length messages.",
    },
    {
        "name": "acknowledging",
        "definition": "Replies to updates with bare acknowledgments.",
        "on": "When the agent gives an update, often just reply 'ok', 'k' or 'sure' and wait.",
        "off": "Respond to each update with a full sentence.",
    },
]

WEIGHTS = {
    "terse": 0.6,
    "incremental": 0.55,
    "skeptical": 0.35,
    "frustrated": 0.3,
    "vague": 0.35,
    "bursty": 0.4,
    "acknowledging": 0.45,
}

AGES = ["in their twenties", "in their thirties", "in their forties", "in their fifties", "retired"]
CONTEXTS = ["on a phone between errands", "at a work laptop", "late in the evening", "on a lunch break"]
CLOSING = "Keep your goal and every fact of your task exactly as given; only your way of writing changes."


def _persona(task, index, rng):
    placement = {axis["name"]: rng.random() < WEIGHTS.get(axis["name"], 0.5) for axis in AXES}
    lines = [axis["on"] if placement[axis["name"]] else axis["off"] for axis in AXES]
    context = rng.choice(CONTEXTS)
    description = f"A customer {rng.choice(AGES)}, writing {context}, about: {task['reason_for_call'][:120]}"
    active = "-".join(name for name, on in placement.items() if on) or "plain"
    return {
        "persona_id": f"c{index + 1}_{active}",
        "description": description,
        "axis_placement": placement,
        "policy": f"You are writing {context}. " + " ".join(lines) + " " + CLOSING,
    }


def generate(task, n, llm, rng):
    return [_persona(task, i, rng) for i in range(n)]
