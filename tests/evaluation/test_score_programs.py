"""`evopersona score --program ... --compare ...`: the evaluation cascade, side by side, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path


def test_score_program_with_compare_json(cli, tmp_path: Path):
    result = cli(
        "score", "--program", "axes_seed.py", "--compare", "programs/baseline.py", "--domain", "retail",
        "--split", "train", "--n", "3", "--max-tasks", "1", "--set", "fitness.reference_tasks=4",
        "--set", "fitness.baseline_personas_per_task=2", "--work-dir", str(tmp_path / "work"), "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(result.stdout)
    assert document["split"] == "train" and document["tasks"] == ["0"]
    seed, baseline = document["programs"]
    assert seed["status"] == "done" and baseline["status"] == "done"
    assert seed["objectives"]["human_likeness"] > baseline["objectives"]["human_likeness"]
    for row in (seed, baseline):
        assert set(row["metrics"]["p_human"]) == {"forest", "text", "combined"}
        assert {"low", "high", "mean"} <= set(row["metrics"]["p_human"]["forest"])
        assert set(row["metrics"]["dice"]) >= {"D1", "D2", "D3", "D4", "overall"}
        assert row["llm_calls"] > 0
    assert (tmp_path / "work" / "score-retail" / "reference" / "reference.json").is_file()
    assert [n["kind"] for n in document["negatives"]] == ["baseline", "llm_sim", "cooperative"]
    assert document["negatives"][0]["n"] == 4 * 2 and "4 retail train tasks x 2" in document["negatives"][0]["source"]


def test_score_rejects_bad_combinations(cli):
    result = cli("score", "--compare", "baseline.py")
    assert result.returncode == 2 and "--compare needs --program" in result.stderr
    result = cli("score", "--program", "no_such_program.py")
    assert result.returncode == 2 and "not found" in result.stderr and "Traceback" not in result.stderr
