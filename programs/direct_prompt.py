"""Direct-prompting baseline: one LLM call asks for N diverse personas, policies included, as JSON.

No behaviour axes guide it; it measures what plain "make diverse personas" prompting achieves.
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


def _parse_array(text):
    match = re.search(r"\[.*\]", text, re.DOTALL)
    if not match:
        raise ValueError("the model did not return a JSON array")
    items = json.loads(match.group(0))
    return [item for item in items if isinstance(item, dict)]


def generate(task, n, llm, rng):
    reply = llm.complete(PROMPT.format(n=n, scenario=task["scenario"]), system=SYSTEM, temperature=0.9)
    items = _parse_array(reply)
    if len(items) < n:
        raise ValueError(f"asked for {n} personas, the model returned {len(items)}")
    records = []
    for i, item in enumerate(items[:n]):
        description = str(item.get("description") or "").strip()
        policy = str(item.get("policy") or "").strip() or description
        records.append({
            "persona_id": f"{i + 1}_{str(item.get('persona_id') or 'persona').strip()}",
            "description": description or "A customer contacting support.",
            "axis_placement": {},
            "policy": policy,
        })
    return records
