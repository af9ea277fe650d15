import numpy as np
import pytest

from evopersona.fitness.fingerprint import (
    FEATURE_NAMES,
    GROUPS,
    fingerprint,
    fingerprint_many,
)

# One hand-made dialogue per feature, with the value that feature must take.
CASES = [
    ("words_per_turn", ["one two three four", "five six"], 3.0),
    ("short_utterance_rate", ["yes", "no way", "this turn has five words", "ok then sure fine"], 0.5),
    ("politeness_rate", ["Please help me", "Thanks a lot", "my order is late", "no worries"], 0.75),
    ("formality_rate", ["Regarding my order; it is late", "hi there", "Furthermore, it broke", "ok"], 0.5),
    ("acknowledgment_rate", ["Ok.", "got it!", "sounds good", "ok but what about my refund"], 0.75),
    ("verbosity_cv", ["a b", "a b c d e f"], 0.5),
    ("repetition_rate", ["i want my refund", "i want my refund now", "i want my refund", "i want my refund!", "bye"], 0.8),
    ("identity_confusion_rate", ["How can I help you today?", "let me check that for you", "fine"], 2 / 3),
    ("front_loading_ratio", ["a b c", "d", "e f g h i j"], 0.4),
    ("identifiers_per_turn", ["my order is #W123456 and mail me at jo@x.com", "account 12345678", "nothing"], 1.0),
    ("opening_length", ["Hi I need help with my order", "thanks"], 7.0),
    ("uncertainty_rate", ["maybe tuesday", "I think so", "no idea", "it is 5pm"], 0.75),
    ("certainty_rate", ["definitely", "I'm sure it was blue", "it was red"], 2 / 3),
    ("pushback_rate", ["Are you sure?", "I already told you my name", "ok"], 2 / 3),
    ("clarification_question_rate", ["what?", "what do you mean", "could you clarify the fee", "fine"], 0.75),
    ("info_seeking_rate", ["any update on my order?", "when will it ship", "how do I return it", "ok"], 0.75),
    ("emotional_expression_rate", ["ugh this is ridiculous", "I'm so frustrated", "fine"], 2 / 3),
    ("accusatory_rate", ["this is useless", "what a waste of time", "you are the worst", "ok"], 0.75),
    ("strategy_pivot_rate", ["Actually, let's do Friday", "how about a refund instead", "ok", "bye"], 0.5),
]


def test_every_feature_has_a_case():
    assert [c[0] for c in CASES] == FEATURE_NAMES
    assert sum(len(v) for v in GROUPS.values()) == 19


@pytest.mark.parametrize("name, turns, expected", CASES, ids=[c[0] for c in CASES])
def test_feature(name, turns, expected):
    assert fingerprint(turns)[name] == pytest.approx(expected)


def test_batch_equals_one_by_one():
    dialogues = [turns for _, turns, _ in CASES] + [[], ["single"], ["", "  ok  "]]
    batch = fingerprint_many(dialogues)
    assert batch.shape == (len(dialogues), 19)
    for row, turns in zip(batch, dialogues, strict=True):
        np.testing.assert_allclose(row, fingerprint_many([turns])[0])


def test_edge_cases():
    empty = fingerprint([])
    assert all(v == 0.0 for v in empty.values())
    one = fingerprint(["just one turn here"])
    assert one["front_loading_ratio"] == 1.0 and one["verbosity_cv"] == 0.0
    assert fingerprint_many([]).shape == (0, 19)


def test_patterns_do_not_cross_turns():
    # "not" ends one turn and "sure" starts the next: no "not sure" across the boundary.
    assert fingerprint(["i am not", "sure thing"])["uncertainty_rate"] == 0.0
    assert fingerprint(["i am not\nsure"])["uncertainty_rate"] == 1.0


def test_trigram_repeats_are_counted_per_dialogue():
    turns = ["i want my refund"] * 2
    batch = fingerprint_many([turns, turns])
    assert batch[:, FEATURE_NAMES.index("repetition_rate")].tolist() == [0.0, 0.0]


def test_agrees_with_reference_extractor_on_length_features(human_split):
    import ppol.fingerprinting as ppol  # the `test` extra installs it

    sample = human_split[0][:200]
    ours = fingerprint_many(sample)
    extractor = ppol.BehavioralFingerprintExtractor()
    theirs = np.array([
        extractor.compute_fingerprint([{"role": "user", "content": t} for t in d]).to_vector(FEATURE_NAMES)
        for d in sample
    ])
    exact = [FEATURE_NAMES.index(n) for n in ("words_per_turn", "short_utterance_rate", "verbosity_cv",
             "repetition_rate", "front_loading_ratio", "identifiers_per_turn", "opening_length")]
    np.testing.assert_allclose(ours[:, exact], theirs[:, exact], atol=1e-9)
    assert np.abs(ours - theirs).mean() < 0.01
