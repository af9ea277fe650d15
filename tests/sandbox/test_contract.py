"""The generator contract: each violation is rejected with a precise reason."""

from __future__ import annotations

import pytest

from evopersona.generator import (
    ContractViolation,
    validate_axes,
    validate_output,
    validate_records,
)
from evopersona.sandbox.gate import GateRejected, check_source
from tests.sandbox.conftest import TASK

AX = [{"name": "terse", "definition": "d", "on": "short", "off": "long"}]


def rec(i: int = 0, **kw):
    return {"persona_id": f"p{i}", "description": "d", "axis_placement": {"terse": True}, "policy": "short", **kw}


@pytest.mark.parametrize(("records", "n", "reason"), [
    ({"a": 1}, 1, "returned dict, expected a list"),
    ([rec(0)], 2, "returned 1 records, expected exactly 2"),
    ([rec(0, policy="")], 1, "policy is empty"),
    ([rec(0), rec(0)], 2, "duplicate persona_id 'p0'"),
    (["x"], 1, "record 0 is str"),
    ([rec(0, axis_placement={"terse": "yes"})], 1, "axis_placement.terse"),
    ([{"persona_id": "p", "policy": "x", "axis_placement": {}}], 1, "field 'description'"),
    ([rec(0, persona_id="  ")], 1, "persona_id is blank"),
])
def test_record_violations(records, n, reason):
    with pytest.raises(ContractViolation, match=reason):
        validate_records(records, n, no_persona=False)


def test_no_persona_allows_empty_policy_only_then():
    assert validate_records([rec(0, policy="")], 1, no_persona=True)[0].policy == ""
    with pytest.raises(ContractViolation, match="NO_PERSONA must be"):
        validate_output(AX, "yes", [rec(0)], 1)


@pytest.mark.parametrize(("axes", "reason"), [
    ({"name": "x"}, "AXES must be a list"),
    (["terse"], r"AXES\[0\] must be a dict"),
    ([{"name": "a", "definition": "d", "on": "x"}], r"missing key\(s\) \['off'\]"),
    ([{**AX[0], "extra": 1}], "unknown key"),
    ([{**AX[0], "on": 3}], "field 'on'"),
    ([AX[0], AX[0]], "'terse' appears more than once"),
])
def test_axes_violations(axes, reason):
    with pytest.raises(ContractViolation, match=reason):
        validate_axes(axes)


@pytest.mark.parametrize(("source", "reason"), [
    ("AXES = []\n", "does not define `generate"),
    ("def generate(task, n, llm, rng):\n    return []\n", "does not define `AXES`"),
    ("AXES = [\n", "syntax error"),
    ("AXES = []\nimport os\ndef generate(t, n, l, r): return []", "line 2: import of 'os'"),
    ("AXES = ['__class__']\ndef generate(t, n, l, r): return []", "dunder name '__class__'"),
])
def test_gate_reasons(source, reason):
    with pytest.raises(GateRejected, match=reason):
        check_source(source)


def test_runtime_contract_errors_through_sandbox(pool):
    src = "AXES = 5\ndef generate(task, n, llm, rng):\n    return []\n"
    with pytest.raises(ContractViolation, match="AXES must be a list"):
        pool.run(src, TASK, 1, 0)
    src = "AXES = []\ngenerate = 3\n"
    with pytest.raises(ContractViolation, match="not callable"):
        pool.run(src, TASK, 1, 0)
    src = "AXES = []\ndef generate(task, n, llm, rng):\n    return []\ndel generate\n"
    with pytest.raises(ContractViolation, match="does not define `generate`"):
        pool.run(src, TASK, 1, 0)
