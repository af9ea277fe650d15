import json
from pathlib import Path

import pytest

from evopersona.errors import InputError
from evopersona.tasks import Task, filter_split, load_domain, load_jsonl_tasks, load_tasks, load_tau2_file, pick_task


@pytest.mark.parametrize(("domain", "total", "train", "test"), [("retail", 114, 74, 40), ("airline", 50, 30, 20), ("telecom", 114, 74, 40)])
def test_bundled_domains_load_with_official_splits(domain, total, train, test):
    tasks = load_domain(domain)
    assert len(tasks) == total
    assert sum(t.split == "train" for t in tasks) == train
    assert sum(t.split == "test" for t in tasks) == test
    assert all(t.domain == domain for t in tasks)


def test_scenario_text_renders_like_tau2():
    task = pick_task(load_domain("retail"), "0")
    text = task.scenario_text()
    assert text.startswith("Instructions:\n\tDomain: retail")
    assert "Reason for call:" in text and "#W2378156" in text
    assert "Unknown info:" in text


def test_generator_view_has_no_private_fields():
    view = pick_task(load_domain("airline"), "3").generator_view()
    assert set(view) == {"id", "domain", "reason_for_call", "known_info", "unknown_info", "task_instructions", "scenario"}
    assert all(isinstance(v, str) for v in view.values())


def test_jsonl_tasks_roundtrip(tmp_path: Path):
    path = tmp_path / "tasks.jsonl"
    rows = [
        {"id": "a", "domain": "bank", "reason_for_call": "You want to close your account.", "known_info": "You are Ann Lee.", "split": "train"},
        {"id": "b", "domain": "bank", "reason_for_call": "You lost your card.", "split": "test"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    tasks = load_tasks(str(path), "test")
    assert [t.id for t in tasks] == ["b"]
    assert tasks[0].known_info is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "a", "domain": "x"}\n', "line 1: field 'reason_for_call'"),
        ('{"id": "a", "domain": "x", "reason_for_call": "r", "colour": 1}\n', "field 'colour'"),
        ("not json\n", "line 1: not valid JSON"),
        ('{"id": "a", "domain": "x", "reason_for_call": "r"}\n{"id": "a", "domain": "x", "reason_for_call": "r"}\n', "appears more than once"),
        ("\n", "no tasks"),
    ],
)
def test_jsonl_loader_names_file_and_bad_field(tmp_path: Path, content, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_jsonl_tasks(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_tau2_loader_rejects_task_without_reason(tmp_path: Path):
    raw = json.loads((Path(__file__).parent.parent / "evopersona/data/tau2/retail/tasks.json").read_text())[:2]
    del raw[1]["user_scenario"]["instructions"]["reason_for_call"]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=r"task #1: field 'user_scenario.instructions.*reason_for_call"):
        load_tau2_file(path)


def test_tau2_loader_rejects_non_list(tmp_path: Path):
    path = tmp_path / "tasks.json"
    path.write_text('{"id": 1}')
    with pytest.raises(InputError, match="expected a JSON list"):
        load_tau2_file(path)


def test_unknown_domain_split_and_task_are_clear_errors():
    with pytest.raises(InputError, match="unknown domain"):
        load_domain("banking")
    with pytest.raises(InputError, match="unknown split"):
        filter_split(load_domain("retail"), "validation")
    with pytest.raises(InputError, match="no task with id '999'"):
        pick_task(load_domain("retail"), "999")


def test_task_is_frozen():
    task = Task(id="x", domain="d", reason_for_call="r")
    with pytest.raises(Exception):
        task.id = "y"  # type: ignore[misc]
