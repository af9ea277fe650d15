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
