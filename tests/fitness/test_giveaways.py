"""One case per giveaway feature: an LLM-simulator-like user side against a human-like one."""

import numpy as np
import pytest

from evopersona.fitness.giveaways import GIVEAWAY_NAMES, giveaways_many, giveaways_of

HUMAN = ["hi i need a cab", "to the station", "yeah 5pm", "ok thx"]

CASES = {
    "markdown_rate": (["I need help with **two things**:", "- cancel my order", "`W123` is the id"], HUMAN),
    "enumeration_rate": (["I'd like to 1. cancel the order and 2. get a refund.", "Firstly, the size is wrong."], HUMAN),
    "complete_sentence_rate": (["I would like to book a taxi.", "It should go to the station.", "Thank you."], HUMAN),
    "sentences_per_turn": (["Hello there. I need a taxi. It is for two people. Please book it."], ["need a taxi for 2"]),
    "polite_per_word": (["Thank you so much, I really appreciate it. Please go ahead, that is perfect."], ["go ahead"]),
    "formal_per_word": (["Regarding my request, could you verify the details and ensure it is processed?"], ["is it done"]),
    "commas_per_word": (["Yes, of course, my name is Ana, and my zip code, as requested, is 12345."], ["my zip is 12345"]),
    "long_word_share": (["Additionally, unfortunately, the reservation information appears incorrect."], ["the time is wrong"]),
    "exclamation_rate": (["Thanks so much!", "That's perfect!"], ["thanks", "perfect"]),
    "ending_uniformity": (["Yes.", "My id is 5.", "Ok."], ["Yes", "my id is 5.", "ok?"]),
    "opening_sentences": (["Hi. My name is Ana Lee. My order is W1234567. I want a refund.", "Thanks."], ["hi", "refund please"]),
    "opening_facts": (["My order #W1234567 from 05/14 with zip 94103 costs 120.50 dollars."], ["I want a refund"]),
}

REVERSED = {  # human giveaways: higher for the human-like side
    "lowercase_start_rate": (["okay so my phone is dead", "yes"], ["Okay, my phone is dead.", "Yes."]),
    "lowercase_i_rate": (["i think i lost it", "idk"], ["I think I lost it.", "I do not know."]),
}


def test_every_feature_has_a_case():
    assert set(CASES) | set(REVERSED) == set(GIVEAWAY_NAMES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_llm_like_side_scores_higher(name):
    llm_like, human_like = CASES[name]
    i = GIVEAWAY_NAMES.index(name)
    assert giveaways_of(llm_like)[i] > giveaways_of(human_like)[i]


@pytest.mark.parametrize("name", sorted(REVERSED))
def test_human_giveaways_score_higher_on_the_human_side(name):
    human_like, llm_like = REVERSED[name]
    i = GIVEAWAY_NAMES.index(name)
    assert giveaways_of(human_like)[i] > giveaways_of(llm_like)[i]


def test_many_matches_one_and_empty_is_zero():
    dialogues = [HUMAN, [], CASES["markdown_rate"][0]]
    out = giveaways_many(dialogues)
    assert out.shape == (3, len(GIVEAWAY_NAMES))
    np.testing.assert_allclose(out[0], giveaways_of(HUMAN))
    assert not out[1].any()
