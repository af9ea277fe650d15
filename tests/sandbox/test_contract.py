"""The generator contract: each violation is rejected with a precise reason."""

from __future__ import annotations

import sys

import pytest

from evopersona import generator
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


def _one_at_a_time(axes, no_persona, records, n):
    """validate_output with its compiled pass switched off: the rule-by-rule checks alone."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generator, "_valid_at_once", lambda *args: None)
        return generator.validate_output(axes, no_persona, records, n)


def _outcome(check, *args):
    try:
        return check(*args)
    except ContractViolation as exc:
        return str(exc)


BLANKS = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
AXIS2 = {"name": "vague", "definition": "d", "on": "unsure", "off": "precise"}


def _cases():
    """A valid output, then one change at a time that breaks (or keeps) each rule."""
    records = [rec(i, axis_placement={"terse": i % 2 == 0, "vague": True}, description=f"person {i}") for i in range(4)]
    yield [AX[0], AXIS2], False, records, 4
    yield [AX[0], AXIS2], True, [{**r, "policy": ""} for r in records], 4
    yield [AX[0], AXIS2], True, [{**r, "policy": " \n"} for r in records], 4
    yield [], False, [], 0
    for field in ("persona_id", "description", "policy"):
        for value in ["", "x", " x ", 5, None, *BLANKS[:8], "".join(BLANKS)]:
            yield [AX[0]], False, [*records[:2], {**records[2], field: value}], 3
    for placement in ({}, {"terse": 1}, {"terse": 1.0}, {"terse": "yes"}, {1: True}, [("terse", True)], None):
        yield [AX[0]], False, [records[0], {**records[1], "axis_placement": placement}], 2
    yield [AX[0]], False, [records[0], {k: v for k, v in records[1].items() if k != "axis_placement"}], 2
    yield [AX[0]], False, [records[0], {**records[1], "extra": object()}], 2
    yield [AX[0]], False, [records[0], {**records[1], "persona_id": "p0"}], 2
    yield [AX[0]], False, records, 3
    yield [AX[0]], False, tuple(records), 4
    yield [AX[0]], False, [*records[:3], "x"], 4
    yield [AX[0]], 0, records, 4
    yield [AX[0]], None, records, 4
    yield [AX[0], AX[0]], False, records, 4
    yield (AX[0],), False, records, 4
    yield [generator.Axis(**AX[0])], False, records, 4
    yield [{**AX[0], "on": ""}], False, records, 4
    yield [{**AX[0], "on": " "}], False, records, 4
    yield [{**AX[0], "extra": "x"}], False, records, 4
    yield [{k: v for k, v in AX[0].items() if k != "off"}], False, records, 4


@pytest.mark.parametrize("case", list(_cases()))
def test_compiled_pass_agrees_with_the_rule_by_rule_checks(case):
    """Same output for valid programs, same first broken rule (and message) for every other."""
    assert _outcome(validate_output, *case) == _outcome(_one_at_a_time, *case)


def test_compiled_pass_accepts_valid_output_and_refuses_each_broken_rule():
    """The compiled pass itself decides valid outputs (it is not silently falling back to the slow checks)."""
    cases = list(_cases())
    assert generator._valid_at_once(*cases[0]) == _one_at_a_time(*cases[0])
    assert generator._valid_at_once(*cases[1]) is not None and generator._valid_at_once(*cases[2]) is not None
    for case in cases[3:]:
        if isinstance(_outcome(_one_at_a_time, *case), str):
            assert generator._valid_at_once(*case) is None, case
