"""The user side of a dialogue from the transcript shapes people have (`fitness/transcripts.py`)."""

import json

import pytest

from evopersona.errors import InputError
from evopersona.fitness.transcripts import load_user_sides, user_side


@pytest.mark.parametrize("dialogue", [
    {"id": "a", "source": "s", "turns": [{"role": "agent", "text": "Hello?"}, {"role": "user", "text": "hi"},
                                         {"role": "user", "text": "**my order**"}]},
    {"messages": [{"role": "system", "content": "policy"}, {"role": "user", "content": "hi"},
                  {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
                  {"role": "tool", "content": "{}"}, {"role": "user", "content": "**my order** ###STOP###"}]},
    {"traj": [{"role": "Customer", "content": "hi"}, {"role": "assistant", "content": "ok"},
              {"role": "customer", "content": [{"type": "text", "text": "**my order**"}]}]},
    [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "ok"}, {"from": "human", "value": "**my order**"}],
    {"conversation": [{"speaker": "USER", "utterance": "hi"}, {"speaker": "SYSTEM", "utterance": "ok"},
                      {"speaker": "USER", "utterance": "**my order**"}]},
])
def test_user_side_of_each_shape(dialogue):
    assert user_side(dialogue, "here") == ["hi", "**my order**"]


def test_files_jsonl_json_list_and_results(tmp_path):
    one = {"messages": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]}
    two = [{"role": "human", "content": "a"}, {"role": "human", "content": "b"}]
    files = {
        "d.jsonl": json.dumps(one) + "\n\n" + json.dumps(two) + "\n",
        "list.json": json.dumps([one, two], indent=2),
        "results.json": json.dumps({"info": {}, "simulations": [one, two]}),
        "single.json": json.dumps(two, indent=2),
    }
    expected = {"d.jsonl": [["hello"], ["a", "b"]], "list.json": [["hello"], ["a", "b"]],
                "results.json": [["hello"], ["a", "b"]], "single.json": [["a", "b"]]}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        assert load_user_sides(tmp_path / name) == expected[name], name


def test_unusable_input_names_the_place(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_user_sides(tmp_path / "none.jsonl")
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"turns": [{"role": "user", "text": "hi"}]}) + "\n" + json.dumps({"text": "hi"}) + "\n")
    with pytest.raises(InputError, match="line 2: not a dialogue"):
        load_user_sides(path)
    path.write_text(json.dumps({"messages": [{"role": "assistant", "content": "only the agent"}]}) + "\n")
    with pytest.raises(InputError, match=r"line 1: no user turn \(roles \['assistant'\]"):
        load_user_sides(path)
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "###STOP###"}]}) + "\n")
    with pytest.raises(InputError, match="no dialogue with a user turn"):
        load_user_sides(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not a UTF-8"):
        load_user_sides(path)
