"""ray.evaluations_per_cpu: with 2, one CPU runs two evaluations at once, so their episodes overlap.

Real parts only: the `evolve` command in a subprocess, a local Ray cluster of one CPU, and a
loopback OpenAI-compatible server (its own thread) answering the user and agent roles after a fixed
latency (replies that let each conversation run to max_turns) and recording the most requests it had in
flight at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evopersona.testing.fake_openai import FakeOpenAI

REPO = Path(__file__).resolve().parents[2]
PERSONAS = 3  # one task per evaluation: an evaluation has at most 3 conversations, so 3 requests, in flight


def _evolve(workdir: Path, base_url: str, per_cpu: int) -> dict:
    overrides = [
        "tasks.max_tasks=1", "tasks.batch_size=1", f"tasks.personas_per_task={PERSONAS}",
        "fitness.reference_tasks=2", "fitness.baseline_personas_per_task=1", "episodes.max_turns=6",
        "search.patience=100", "search.max_evaluations=2", "search.in_flight=2",
        "ray.num_cpus=1", f"ray.evaluations_per_cpu={per_cpu}",
    ]
    for role in ("user", "agent"):
        overrides += [f'llm.roles.{role}.model="openai/fake"', f'llm.roles.{role}.api_base="{base_url}"',
                      f"llm.roles.{role}.cache=false"]
    command = [sys.executable, "-m", "evopersona", "evolve", "runs/quickstart.toml", "--json"]
    for item in overrides:
        command += ["--set", item]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=900, check=False,
                            env={**os.environ, "OPENAI_API_KEY": "sk-test-dummy"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.slow
def test_two_evaluations_per_cpu_talk_to_the_llm_at_once(tmp_path: Path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "quickstart.toml").write_text((REPO / "runs" / "quickstart.toml").read_text())
    with FakeOpenAI(latency_s=0.4, reply="turns") as server:
        server.reset()
        summary = _evolve(tmp_path, server.base_url, per_cpu=2)
        peak = server.stats().peak_in_flight
    assert summary["evaluations"] == 2
    assert peak > PERSONAS, f"at most {peak} requests in flight: the two evaluations did not overlap"
