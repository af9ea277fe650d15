"""A deterministic stand-in for the cooperative LLM user simulator, for discriminator negatives.

Why: the discriminator needs negatives, and in the product they are episodes of the no-persona
baseline program. Where those are not available (scoring a dialogue file on its own, tests,
benchmarks) this module writes user sides the way a default LLM simulator does: long, polite,
complete sentences, every known fact in the opening message, thanks at every turn, no friction.
The phrase banks are data; `cooperative_dialogues` is a pure function of (n, seed).
"""

from __future__ import annotations

import random

NAMES = ["Emily Carter", "James Wilson", "Sofia Martinez", "Daniel Kim", "Olivia Brown", "Liam Patel",
         "Ava Thompson", "Noah Garcia", "Mia Robinson", "Ethan Clarke", "Chloe Nguyen", "Lucas Meyer"]

GOALS = [
    ("return an item from my recent order", "my order number is #W{num} and the item is a {item}",
     "the item arrived in the wrong size, so I would like a full refund to my original payment method"),
    ("exchange a product I purchased", "the order ID is #W{num} and I purchased a {item}",
     "I would prefer the same model in a different color if that is available"),
    ("book a flight from {city} to {city2}", "I would like to depart on {day} in economy class",
     "I have a reservation number {code} from a previous trip if that is helpful"),
    ("change my existing flight reservation", "my reservation ID is {code} and I am flying to {city2}",
     "I would like to move the departure to {day} while keeping the same cabin class"),
    ("reserve a table at a restaurant in {city}", "it would be for {k} people on {day} at around 7 pm",
     "one member of our party is vegetarian, so options for that would be appreciated"),
    ("book a hotel room in {city}", "I will be arriving on {day} and staying for {k} nights",
     "I would prefer a hotel with free parking and free wifi in the city centre"),
    ("check the balance of my bank account", "my account number is {num} and my PIN is available",
     "I would also like to confirm whether my most recent transfer has been processed"),
    ("schedule an appointment with Dr. {last}", "I am available on {day} in the morning",
     "I would also like to ask about the instructions for my current medication"),
    ("find a train from {city} to {city2}", "I need to leave on {day} after 9 am",
     "I will need tickets for {k} people, and I would like the reference number afterwards"),
    ("cancel my subscription", "the account is registered under {email}",
     "I would like to make sure that I will not be charged again next month"),
]
ITEMS = ["blue hiking backpack", "wireless headphones", "mechanical keyboard", "stainless water bottle",
         "leather office chair", "running jacket", "ceramic desk lamp", "digital camera"]
CITIES = ["Boston", "Seattle", "Chicago", "Denver", "Austin", "Cambridge", "London", "San Francisco"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "May 14th", "June 3rd"]

OPENERS = ["Hello! I hope you are doing well today.", "Hi there, thank you for taking the time to help me.",
           "Good afternoon! I hope your day is going well.", "Hello, thank you for assisting me today."]
PURPOSES = ["I am reaching out because I would like to {goal}.", "I would like to {goal}, please.",
            "I am contacting you today because I need to {goal}.", "Could you please help me {goal}?"]
FOLLOW_UPS = [
    "Thank you so much for checking that for me. {extra}.",
    "That is very helpful, thank you. Additionally, {extra}.",
    "I appreciate your assistance. Just to confirm, {extra}.",
    "Thank you for the clarification. Furthermore, {extra}.",
    "Certainly! My full name is {name}, and my email address is {email}.",
    "Yes, that is correct. I would like to proceed with that option, please.",
    "Could you please let me know whether there are any additional fees involved?",
    "That sounds good. Could you please confirm the details once everything is processed?",
    "I understand, and I truly appreciate you looking into this for me.",
    "Of course. I would be happy to provide any additional information you may need.",
    "Thank you for your patience. I just want to ensure that everything is handled correctly.",
    "Regarding my previous message, {extra}.",
    "I would greatly appreciate it if you could assist me with that as soon as possible.",
    "Absolutely, please go ahead and make that change. Thank you for your help with this request.",
    "That makes sense. Could you kindly walk me through the next steps so I know what to expect?",
    "I apologize for any confusion. To clarify, {extra}.",
    "Yes, I can confirm that all of those details are accurate. Please proceed accordingly.",
    "Before we proceed, could you please verify that there will be no additional charges?",
]
CLOSERS = ["That sounds perfect. Thank you very much for your help today; I really appreciate it!",
           "Thank you so much for your assistance. I have everything I need now. Have a wonderful day!",
           "Wonderful, thank you for resolving this so quickly. I appreciate your help.",
           "Great, that is all I needed. Thank you again for your patience and support!"]


def _fill(template: str, rng: random.Random, name: str) -> str:
    first, last = name.split()
    return template.format(
        num=rng.randint(1000000, 9999999), item=rng.choice(ITEMS), city=rng.choice(CITIES),
        city2=rng.choice(CITIES), day=rng.choice(DAYS), k=rng.randint(2, 6), last=rng.choice(NAMES).split()[1],
        code="".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
        email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com", name=name, extra="{extra}", goal="{goal}",
    )


def cooperative_dialogue(rng: random.Random) -> list[str]:
    """One cooperative simulated user side: facts front-loaded, polite, complete sentences."""
    name = rng.choice(NAMES)
    goal, fact, extra = (_fill(part, rng, name) for part in rng.choice(GOALS))
    opening = " ".join([rng.choice(OPENERS), _fill(rng.choice(PURPOSES), rng, name).format(goal=goal),
                        f"My name is {name}, and {fact}.", f"{extra[0].upper()}{extra[1:]}."])
    turns = [opening]
    for template in rng.sample(FOLLOW_UPS, rng.randint(1, 5)):
        turns.append(_fill(template, rng, name).format(extra=extra))
    turns.append(rng.choice(CLOSERS))
    return turns


def cooperative_dialogues(n: int, seed: int = 0) -> list[list[str]]:
    """`n` cooperative simulated user sides, a pure function of (n, seed)."""
    rng = random.Random(seed)
    return [cooperative_dialogue(rng) for _ in range(n)]
