"""Exports: τ²-bench task files (checked with τ²'s own Task model) and generic JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evopersona.errors import InputError
from evopersona.export import ExportRequest, run_export
from evopersona.simulate.persona_block import extract_policy, wrap_policy
from evopersona.tasks import load_tasks


def test_tau2_export_cli(results_run: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "retail_personas.json"
    done = cli("export", "tau2", str(results_run), "--domain", "retail", "--split", "test", "--per-task", "2",
               "--max-tasks", "2", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["tasks"] == 2 and summary["records"] == 4 and summary["validated_with_tau2"] is True
    exported = json.loads(out.read_text(encoding="utf-8"))
    originals = {t.id: t.source for t in load_tasks("retail", "test")[:2]}
    assert [t["id"] for t in exported] == [f"{tid}__persona_{k}" for tid in originals for k in range(2)]
    for task in exported:
        original = originals[task["id"].split("__persona_")[0]]
        persona = task["user_scenario"]["persona"]
        policy = extract_policy(persona)
        assert policy and persona == wrap_policy(policy)
        assert {k: v for k, v in task.items() if k not in ("id", "user_scenario")} == \
            {k: v for k, v in original.items() if k not in ("id", "user_scenario")}
        assert task["user_scenario"]["instructions"] == original["user_scenario"]["instructions"]

    from tau2.data_model.tasks import Task as Tau2Task

    assert all(Tau2Task.model_validate(t).user_scenario.persona for t in exported)


def test_jsonl_export_of_a_generic_benchmark(results_run: Path, tmp_path: Path) -> None:
    tasks = tmp_path / "tickets.jsonl"
    rows = [{"id": f"t{i}", "domain": "helpdesk", "reason_for_call": f"Printer {i} is jammed.",
             "known_info": "You are Bo Lin."} for i in range(2)]
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    progress: list[tuple[int, int]] = []
    out = tmp_path / "personas.jsonl"
    summary = run_export(ExportRequest(kind="jsonl", run_dir=results_run, source=str(tasks), split="all", per_task=2,
                                       out=out, program_id=1, seed=3), on_progress=lambda d, t: progress.append((d, t)))
    assert summary.program_id == 1 and summary.records == 4 and not summary.validated_with_tau2
    assert progress[0] == (0, 2) and progress[-1] == (2, 2)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["task_id"], r["export_id"]) for r in lines] == [("t0", "t0__persona_0"), ("t0", "t0__persona_1"),
                                                                  ("t1", "t1__persona_0"), ("t1", "t1__persona_1")]
    for row in lines:
        assert row["prompt_block"] == wrap_policy(row["policy"]) and row["description"] and row["persona_id"]

    with pytest.raises(InputError, match="use `export jsonl`"):
        run_export(ExportRequest(kind="tau2", run_dir=results_run, source=str(tasks), split="all", per_task=1,
                                 out=tmp_path / "x.json"))


def test_export_input_errors(results_run: Path, tmp_path: Path, cli) -> None:
    bad_program = cli("export", "jsonl", str(results_run), "--program", "9999", "--out", str(tmp_path / "x.jsonl"))
    assert bad_program.returncode == 2 and "no program 9999" in bad_program.stderr
    bad_split = cli("export", "tau2", str(results_run), "--split", "dev", "--out", str(tmp_path / "x.json"))
    assert bad_split.returncode == 2 and "split" in bad_split.stderr
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.json").exists()
