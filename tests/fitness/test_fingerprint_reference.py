"""The vectorised fingerprint equals a straightforward per-turn computation of the same definitions
(one `re.search` per bank fragment per turn, Python token lists and a trigram Counter)."""

from __future__ import annotations

import random
import re
from collections import Counter

import numpy as np
import pytest

from evopersona.fitness import banks
from evopersona.fitness.bank_scan import first_tokens
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.negatives import llm_sim_corpus
from evopersona.humans import load_human_corpus

_ACK = re.compile("(?:" + "|".join(re.escape(a) for a in banks.ACKNOWLEDGMENTS) + ")[.!,]*")


def _bank(fragments: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(f.replace(" ", r"[^\S\n]+")) for f in fragments]


_BANKS = {name: _bank(fragments) for name, fragments in banks.RATE_BANKS.items()}


def reference_fingerprint(dialogue: list[str]) -> list[float]:
    turns = [t.replace("\n", " ") for t in dialogue if t]
    if not turns:
        return [0.0] * len(FEATURE_NAMES)
    lower = [t.lower() for t in turns]
    tokens = [re.findall(r"\b\w+\b", t) for t in lower]
    lengths = np.array([len(t) for t in tokens], dtype=float)
    f: dict[str, float] = {
        "words_per_turn": lengths.mean(),
        "short_utterance_rate": float(np.mean(lengths <= 3)),
        "acknowledgment_rate": float(np.mean([_ACK.fullmatch(t.strip()) is not None for t in lower])),
        "verbosity_cv": float(lengths.std() / lengths.mean()) if len(turns) > 1 and lengths.mean() > 0 else 0.0,
        "identifiers_per_turn": float(np.mean([len(re.findall(banks.IDENTIFIER, t)) for t in turns])),
        "opening_length": lengths[0],
    }
    for name, patterns in _BANKS.items():
        f[name] = float(np.mean([any(p.search(t) for p in patterns) for t in lower]))
    trigrams = [[tuple(t[i:i + 3]) for i in range(len(t) - 2)] for t in tokens]
    counts = Counter(g for turn in trigrams for g in turn)
    f["repetition_rate"] = float(np.mean([any(counts[g] > 3 for g in turn) for turn in trigrams]))
    total = lengths.sum()
    f["front_loading_ratio"] = (lengths[:2].sum() / total if len(turns) >= 2 else 1.0) if total > 0 else 0.0
    return [f[name] for name in FEATURE_NAMES]


EDGE_CASES = [
    ["THANK YOU so much", "İstanbul is the city; I'm NOT sure", "", "   ", "ok."],
    ["I am\nconfused", "mail me at A.B@x.org or #W1234567", "٣٤٥٦٧٨٩ is my number", "Thanks!!"],
    ["can you\tclarify", "Could you check?", "what ?", "nevermind", "never mind", "100 %", "100%"],
    ["I don’t understand", "that’s wrong", "hmmmm", "ugh", "rip-off", "Actually, no", "i'd be happy to"],
    ["wait what", "wait, what", "we already discussed this", "you asked that", "frustrating!"],
]


def _real_sample(n: int, seed: int) -> list[list[str]]:
    dialogues = [d.user_turns() for d in load_human_corpus() + llm_sim_corpus()]
    return random.Random(seed).sample(dialogues, n)


def test_fast_path_equals_reference_on_real_dialogues():
    sample = _real_sample(300, seed=0) + EDGE_CASES
    ours = fingerprint_many(sample)
    theirs = np.array([reference_fingerprint(d) for d in sample])
    for i, name in enumerate(FEATURE_NAMES):
        np.testing.assert_allclose(ours[:, i], theirs[:, i], atol=1e-12, err_msg=name)
    assert ours[:, FEATURE_NAMES.index("politeness_rate")].max() > 0  # the sample exercises the banks


def test_every_fragment_gets_a_candidate_rule_or_a_scan():
    """Word-initial fragments name their first token(s); the others are scanned in full."""
    assert first_tokens(r"thanks?\b") == [(("thank", True),), (("thanks", True),)]
    assert first_tokens(r"frustrat") == [(("frustrat", False),)]
    assert first_tokens(r"(?:can|could) you tell me\b") == [(("can", True), ("you", True)), (("could", True), ("you", True))]
    assert first_tokens(r"we (?:already )?asked") == [(("we", True), ("asked", False)), (("we", True), ("already", True))]
    assert first_tokens(r"hmm+\b") == [(("hm", False),)]
    assert first_tokens(r"[a-z]+ing") is None


@pytest.mark.parametrize("turn", ["thankful people", "thank you", "the therefore", "i'm sure", "i am positive"])
def test_candidate_filter_finds_what_search_finds(turn):
    ours = fingerprint_many([[turn]])[0]
    np.testing.assert_allclose(ours, reference_fingerprint([turn]), atol=1e-12)
