"""Regression: a long one-sentence playbook beside a short two-sentence one once looped forever."""

import random

from evopersona.llm.offline.generator import policy_text
from evopersona.llm.offline.text import word_count


def test_policy_text_terminates_when_the_longest_playbook_is_one_sentence():
    long_single = " ".join(["type in short bursty fragments"] * 40) + "."
    short_double = "Be terse. Push back."
    text = policy_text([long_single, short_double], "You want a refund.", [], random.Random(0))
    assert 0 < word_count(text) <= 220
