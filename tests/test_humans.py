import json
from pathlib import Path

import pytest

from evopersona.errors import InputError
from evopersona.humans import HUMAN_SOURCES, load_dialogues_file, load_human_corpus, split_humans


def test_corpus_loads_every_source_with_user_turns():
    dialogues = load_human_corpus()
    assert {d.source for d in dialogues} == {"star", "multiwoz21", "sgd", "abcd"}
    assert len(HUMAN_SOURCES) == 4
    assert len(dialogues) > 1500
    assert all(len(d.user_turns()) >= 2 for d in dialogues)


def test_split_is_fixed_by_seed_disjoint_and_stratified():
    dialogues = load_human_corpus(["star", "multiwoz21"])
    train, test = split_humans(dialogues, 0.2, seed=3)
    train2, test2 = split_humans(list(reversed(dialogues)), 0.2, seed=3)
    assert [d.id for d in test] == [d.id for d in test2]
    assert not {d.id for d in train} & {d.id for d in test}
    assert len(train) + len(test) == len(dialogues)
    for source in ("star", "multiwoz21"):
        n = sum(d.source == source for d in dialogues)
        assert sum(d.source == source for d in test) == round(n * 0.2)
    _, other = split_humans(dialogues, 0.2, seed=4)
    assert {d.id for d in other} != {d.id for d in test}


def test_bad_dialogue_file_names_line_and_field(tmp_path: Path):
    path = tmp_path / "d.jsonl"
    good = {"id": "x-1", "source": "mine", "turns": [{"role": "user", "text": "hi"}]}
    bad = {"id": "x-2", "source": "mine", "turns": [{"role": "customer", "text": "hi"}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(InputError, match=r"line 2: field 'turns.0.role'"):
        load_dialogues_file(path)


def test_unknown_corpus_is_rejected():
    with pytest.raises(InputError, match="unknown human corpus"):
        load_human_corpus(["reddit"])
