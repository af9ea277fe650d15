"""Layer reporting: `evopersona sandbox check`, refusal when a required layer is off, the per-run line."""

from __future__ import annotations

import json
import os

import pytest

from evopersona.config import SandboxConfig
from evopersona.sandbox.layers import ALL_LAYERS, SandboxUnavailable
from evopersona.sandbox.limits import required_layers
from evopersona.sandbox.pool import WorkerProcess
from tests.sandbox.conftest import GOOD, LIMITS, TASK


def test_sandbox_check_json_reports_every_layer(cli):
    res = cli("sandbox", "check", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc["layers"]) == list(ALL_LAYERS) and doc["missing"] == []
    assert doc["user"] == ("root" if os.geteuid() == 0 else doc["user"])
    on = {k for k, v in doc["layers"].items() if v}
    assert {"gate", "network_namespace", "filesystem", "seccomp", "rlimits"} <= on
    assert ("privilege_drop" if os.geteuid() == 0 else "user_namespace") in on
    assert res.stderr.count("sandbox layers on for user") == 1  # one clear line, and no RuntimeWarning
    assert "Warning" not in res.stderr


def test_missing_layer_refuses_with_one_line_naming_the_setting():
    with pytest.raises(SandboxUnavailable) as info:
        WorkerProcess(LIMITS, module="tests.sandbox.weak_child")
    message = str(info.value)
    assert "\n" not in message
    assert "sandbox layer 'seccomp' is unavailable here (pretend kernel without seccomp)" in message
    assert 'sandbox.allow_weaker = ["seccomp"]' in message
    assert info.value.exit_code == 1


def test_weaker_confinement_runs_only_when_accepted():
    config = LIMITS.model_copy(update={"allow_weaker": ["seccomp"]})
    worker = WorkerProcess(config, module="tests.sandbox.weak_child")
    try:
        assert worker.report.layers["seccomp"] is False and worker.report.missing == []
        job = {"type": "run", "hash": "good", "source": GOOD, "task": TASK, "n": 2, "seed": 0,
               "cpu_seconds": 2, "max_output_bytes": 100_000}
        assert worker.call(job, lambda requests: [])["type"] == "result"
    finally:
        worker.stop()


def test_required_layers_depend_on_identity_and_accepted_weakening():
    assert required_layers(True, []) == ["network_namespace", "filesystem", "privilege_drop", "seccomp", "rlimits"]
    assert required_layers(False, ["filesystem"]) == ["network_namespace", "user_namespace", "seccomp", "rlimits"]


def test_allow_weaker_accepts_only_known_layers():
    with pytest.raises(ValueError, match="allow_weaker"):
        SandboxConfig(allow_weaker=["gate"])
