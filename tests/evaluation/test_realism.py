"""The optional LLM realism judges: anchors saved with the reference, raw and calibrated per evaluation."""

from __future__ import annotations

import json
from pathlib import Path


def test_realism_judges_are_reported_raw_and_calibrated(cli, tmp_path: Path):
    result = cli(
        "score", "--program", "axes_seed.py", "--compare", "baseline.py", "--n", "3", "--max-tasks", "1",
        "--set", "fitness.reference_tasks=4", "--set", "fitness.baseline_personas_per_task=2",
        "--set", "fitness.realism_judges=true", "--work-dir", str(tmp_path), "--json",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    anchors = json.loads((tmp_path / "score-retail" / "reference" / "judges.json").read_text())
    assert len(anchors["opponents"]) == 40
    assert anchors["rubric"]["mean_hh"] > anchors["rubric"]["mean_pp"], "the rubric tells humans from the baseline"
    rows = json.loads(result.stdout)["programs"]
    for row in rows:
        judges = row["metrics"]["judges"]
        assert 0.0 <= judges["pairwise"]["calibrated"] <= 1.0
        assert 0.0 <= judges["rubric"]["calibrated"] <= 1.0
        assert judges["pairwise"]["score"]["n"] == 3
    persona, baseline = rows
    assert persona["metrics"]["judges"]["rubric"]["score"]["mean"] >= baseline["metrics"]["judges"]["rubric"]["score"]["mean"]
