"""`evopersona compare` as a user runs it: a real subprocess, the offline provider, real sandbox and SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evopersona.cli.app import app
from evopersona.tasks import load_tasks
from tests.conftest import run_cli

SMALL_REFERENCE = [
    "--set", 'fitness.human_sources=["sgd_services"]', "--set", "fitness.reference_tasks=2",
    "--set", "fitness.baseline_personas_per_task=3", "--set", "episodes.max_turns=8",
]


@pytest.mark.parametrize("args, message", [
    (["--programs", "no_such_program.py"], "not found"),
    (["--programs", "baseline.py", "--split", "validation"], "unknown split"),
    (["--programs", "runs/missing:best"], "run folder not found"),
    (["--programs", "runs/quickstart:newest"], "bad run reference"),
    (["--programs", "baseline.py", "--runner", "remote"], "unknown runner"),
    (["--programs", "baseline.py", "--domain", "mars"], "expected a domain"),
    (["--programs", "baseline.py", "--n", "0"], "--n must be at least 1"),
    ([], "no programs to compare"),
])
def test_bad_input_exits_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_bad_input_in_a_real_process_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = run_cli("compare", "--programs", "baseline.py", "runs/nowhere:best", cwd=tmp_path)
    assert result.returncode == 2
    assert "run folder not found" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_offline_compare_on_held_out_tasks(make_run, tmp_path: Path) -> None:
    run_dir = make_run("evolved")
    out = tmp_path / "out"
    result = run_cli(
        "compare", "--domain", "retail", "--split", "test", "--n", "3", "--max-tasks", "2", "--seed", "11",
        "--programs", "baseline.py", "programs/baseline.py", "axes_seed.py", f"{run_dir}:best",
        "--out", str(out), *SMALL_REFERENCE, "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert json.loads((out / "compare.json").read_text()) == doc
    assert (run_dir / "compare" / "compare.json").is_file(), "the named run's report reads its compare/ folder"

    names = [c["name"] for c in doc["conditions"]]
    assert names == ["humans", "baseline", "baseline#2", "axes_seed", "evolved:best"]
    assert [c["kind"] for c in doc["conditions"]] == ["humans"] + ["program"] * 4
    assert doc["n"] == 3 and doc["seed"] == 11 and doc["split"] == "test" and doc["runner"] == "builtin"
    kinds = set(doc["discriminators"])
    assert kinds == {"forest", "text", "combined"}
    rows = {c["name"]: c["metrics"] for c in doc["conditions"]}
    expected = {f"p_human.{k}" for k in kinds} | {"coverage.zscore", "coverage.raw", "dice.D1", "dice.D2", "dice.D3",
                                                 "dice.D4", "dice.mean", "lexical_z.mattr", "lexical_z.yules_k",
                                                 "lexical_z.hdd", "task_preservation", "turns_per_episode", "agent_success"}
    for name, metrics in rows.items():
        assert expected <= set(metrics), name
    for name in names[1:]:
        assert rows[name]["episodes"] == 6 and rows[name]["agent_success"] is None
        assert rows[name]["llm.calls"] > 0 and rows[name]["task_preservation"] == 1.0

    # the ceiling: test humans read as human far more than the no-persona baseline, on every discriminator
    for kind in kinds:
        assert rows["humans"][f"p_human.{kind}"]["mean"] > rows["baseline"][f"p_human.{kind}"]["mean"] + 0.3
    # common random numbers: the same program twice gives the same episodes, hence the same numbers
    same = {k: v for k, v in rows["baseline#2"].items() if not k.startswith("llm.")}
    assert same == {k: v for k, v in rows["baseline"].items() if not k.startswith("llm.")}
    assert rows["baseline#2"]["llm.cached_calls"] == rows["baseline#2"]["llm.calls"]

    # held out: reference ids disjoint, baseline tasks from train, evaluated tasks from test, humans row = test humans
    splits = json.loads((Path(doc["reference"]) / "splits.json").read_text())
    assert not set(splits["human_train"]) & set(splits["human_test"])
    assert set(splits["baseline_tasks"]) <= {t.id for t in load_tasks("retail", "train")}
    assert doc["tasks"] == [t.id for t in load_tasks("retail", "test")[:2]]
    assert rows["humans"]["episodes"] == len(splits["human_test"]) == doc["splits"]["human_test"]
    assert all(doc["splits"]["checks"].values()) and "run evolved evolved on train tasks only" in doc["splits"]["checks"]
    assert Path(doc["reference"]).is_relative_to(out)

    page = (out / "compare.md").read_text()
    assert "| metric (mean [95% CI]) | humans | baseline | baseline#2 | axes_seed | evolved:best |" in page
    assert "P(human) forest" in page and "USI column" in page and "offline provider" in page
