"""No-persona baseline: the default cooperative user simulator, with no roleplay policy at all.

Every record has an empty policy, so the episode runner injects no persona block. This is what the
discriminator learns to tell apart from real people, and the floor every other program must beat.
"""

NO_PERSONA = True

AXES = []


def generate(task, n, llm, rng):
    return [
        {
            "persona_id": f"default_{i + 1}",
            "description": "The benchmark's default user simulator: cooperative, polite and complete.",
            "axis_placement": {},
            "policy": "",
        }
        for i in range(n)
    ]
