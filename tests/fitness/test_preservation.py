import pytest

from evopersona.fitness.preservation import (
    PreservationVerdict,
    check_policy_rules,
    preservation_score,
)
from evopersona.tasks import Task

TASK = Task(
    id="t1", domain="retail",
    reason_for_call="You want to exchange the hoodie for the same one with a half-zipper, and return the keyboard.",
    known_info="You are Yusuf Rossi, zip code 19122, email yusuf.rossi@example.com, order #W2378156.",
)

FORBIDDEN = [
    "Type your email with a typo.",
    "Forget the half-zipper requirement halfway through the chat.",
    "Give a wrong zip code when the agent asks.",
    "Refuse to give your address.",
    "Never reveal your order number.",
    "Make a typo in your user id every time.",
    "Misspell your email address on purpose.",
    "Lie about your name to test the agent.",
    "Invent a new requirement about express shipping.",
    "Change your goal to a refund.",
    "Use a different name than the one in your scenario.",
    "Don't tell the agent your zip code at all.",
    "Be terse. Forget about the keyboard return and only talk about the hoodie.",
    "Provide a fake order id first.",
]
ALLOWED = [
    "Reveal details one at a time when asked.",
    "Make typos in casual words.",
    "Write short lowercase fragments with typos in casual words, but never in your email or order id.",
    "Don't give your email until the agent asks for it.",
    "Never give a wrong zip code.",
    "Be skeptical and push back when the agent proposes something you did not ask for.",
    "Say 'forget it' when frustrated, then keep going.",
    "Do not reveal all the details at once; share your order number only when asked.",
    "Sound impatient and frustrated; use short turns.",
    "Double-check your email before sending it.",
    "Don't forget to mention the half-zipper requirement.",
    "You type fast, skip greetings and rarely say please.",
    "",
]


@pytest.mark.parametrize("policy", FORBIDDEN)
def test_forbidden(policy):
    verdict = check_policy_rules(policy, TASK)
    assert not verdict.passed and verdict.reasons


@pytest.mark.parametrize("policy", ALLOWED)
def test_allowed(policy):
    verdict = check_policy_rules(policy, TASK)
    assert verdict.passed, verdict.reasons


def test_reasons_name_the_rule_and_the_sentence():
    verdict = check_policy_rules("Be brief. Type your email with a typo. Say thanks.", TASK)
    assert len(verdict.reasons) == 1 and verdict.reasons[0].startswith("mistype_identifier")
    assert "type your email with a typo" in verdict.reasons[0]


def test_preservation_score():
    ok, bad = PreservationVerdict(passed=True, reasons=[]), PreservationVerdict(passed=False, reasons=["x"])
    assert preservation_score([ok, ok, bad, ok]) == 0.75
    assert preservation_score([]) == 1.0
