"""Cleaning real user-model replies into user turns, and telling a looping conversation."""

from __future__ import annotations

from evopersona.simulate.user_turn import clean_user_turn, is_loop

AGENT = "Hi! How can I help you today?"


def test_role_prefixes_and_continued_dialogue_are_removed() -> None:
    assert clean_user_turn("User: I want to return my keyboard.", AGENT) == "I want to return my keyboard."
    assert clean_user_turn("**Customer:** need a refund", AGENT) == "need a refund"
    reply = "i want to exchange a lamp\nAgent: Sure, what is your email?\nUser: a@b.com"
    assert clean_user_turn(reply, AGENT) == "i want to exchange a lamp"
    assert clean_user_turn('"hello, my order is late"', AGENT) == "hello, my order is late"


def test_echoed_agent_text_is_removed() -> None:
    assert clean_user_turn(f"{AGENT} I need to cancel an order.", AGENT) == "I need to cancel an order."
    assert clean_user_turn("Assistant: Hi! How can I help you today?", AGENT) == ""
    assert clean_user_turn("hi! how can i help you today", AGENT) == ""


def test_a_plain_turn_is_kept_as_written() -> None:
    text = "my email is Jane.Doe@example.com and order #W123 arrived broken :("
    assert clean_user_turn(text, AGENT) == text


def test_loops() -> None:
    assert not is_loop(["i want a refund please"], "i want a refund please", ["ok", "what else?"])  # once repeated: people do
    assert is_loop(["i want a refund please", "I want a refund, please!"], "i want a refund please", ["a", "b"])  # third time
    assert not is_loop(["yes", "yes"], "yes", ["done", "anything else?"])  # short acknowledgments are not a loop
    assert is_loop(["where is it"], "where is it", ["checking", "checking"])  # both sides stuck
    assert not is_loop([], "hello", [])


# Replies SmolLM2-135M gave under τ²'s user prompt: it answered as the agent.
AGENT_VOICED = [
    "Hello! Thank you for contacting us. How can I assist you today?",
    "I'd be happy to help you with the exchange! Could you please provide your order number?",
    "Hi there! I'm here to help. What is your email address?",
]


def test_agent_voiced_replies_are_no_user_turn() -> None:
    assert [clean_user_turn(reply, AGENT) for reply in AGENT_VOICED] == ["", "", ""]


def test_agent_sentences_are_dropped_and_the_users_own_kept() -> None:
    reply = "Hi, I want to exchange my desk lamp. How can I help you with that? my zip is 28236."
    assert clean_user_turn(reply, AGENT) == "Hi, I want to exchange my desk lamp. my zip is 28236."
    assert clean_user_turn("my email is a@b.com. what is your return policy?", AGENT) == "my email is a@b.com. what is your return policy?"
    assert clean_user_turn("Can you help me? I need a refund.", AGENT) == "Can you help me? I need a refund."
