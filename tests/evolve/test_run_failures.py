"""A run whose every evaluation fails is a failed run: exit 1, the first cause on one line, and
`status` shows it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BROKEN = '''AXES = {"terse": "answers in few words"}


def generate(task, n, llm, rng):
    raise RuntimeError("this generator always breaks")
'''


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evopersona", *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def test_all_evaluations_failed_exits_1_with_the_first_cause(tmp_path: Path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "quickstart.toml").write_text((REPO / "runs" / "quickstart.toml").read_text())
    (tmp_path / "broken.py").write_text(BROKEN)
    result = _cli(
        "evolve", "runs/quickstart.toml", "--executor", "inline", "--json",
        "--set", f'search.seed_programs=["{tmp_path / "broken.py"}"]', "--set", "tasks.max_tasks=1",
        "--set", "tasks.batch_size=1", "--set", "tasks.personas_per_task=2", "--set", "fitness.reference_tasks=3",
        "--set", "fitness.baseline_personas_per_task=2", "--set", "episodes.max_turns=4", cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stdout == ""
    message = [line for line in result.stderr.splitlines() if "evaluations failed" in line]
    assert message and "all 1 evaluations failed; the first: contract:" in message[0], result.stderr[-2000:]
    assert "this generator always breaks" in result.stderr and "Traceback" not in result.stderr

    status = json.loads(_cli("status", "runs/quickstart", "--json", cwd=tmp_path).stdout)
    assert status["evaluations"] == {"failed": 1}
    assert "this generator always breaks" in status["first_failure"]
    text = _cli("status", "runs/quickstart", cwd=tmp_path).stdout
    assert "first failure" in text
