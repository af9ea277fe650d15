"""`evopersona sample` and `sample_personas`: output, and clear errors with the right exit codes."""

from __future__ import annotations

import json

import pytest

from evopersona.errors import InputError
from evopersona.generator import ContractViolation
from evopersona.sampling import sample_personas
from evopersona.tasks import load_domain


def test_python_api_samples_compositional():
    task = load_domain("retail")[5]
    records = sample_personas("compositional.py", task, 4, 1)
    assert len(records) == 4 and all(r.policy for r in records)


def test_python_api_errors(tmp_path):
    task = load_domain("retail")[5]
    with pytest.raises(InputError, match="not found"):
        sample_personas(tmp_path / "missing.py", task, 2, 0)
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nAXES = []\ndef generate(t, n, l, r):\n    return []\n")
    with pytest.raises(InputError, match="rejected: line 1: import of 'os'"):
        sample_personas(bad, task, 2, 0)
    short = tmp_path / "short.py"
    short.write_text("AXES = []\ndef generate(t, n, l, r):\n    return []\n")
    with pytest.raises(ContractViolation, match="returned 0 records, expected exactly 2"):
        sample_personas(short, task, 2, 0)


def test_cli_json_and_out(cli, tmp_path):
    out = tmp_path / "p.jsonl"
    res = cli("sample", "--program", "programs/compositional.py", "--domain", "retail", "--task", "5",
              "--n", "3", "--seed", "1", "--json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["task"] == "retail/5" and len(doc["personas"]) == 3
    assert [json.loads(line) for line in out.read_text().splitlines()] == doc["personas"]


def test_cli_table(cli):
    res = cli("sample", "--program", "programs/baseline.py", "--task", "5", "--n", "2")
    assert res.returncode == 0, res.stderr
    assert "default_1" in res.stdout and "(no persona)" in res.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--program", "nope.py", "--task", "5"], 2, "program file not found"),
    (["--program", "programs/compositional.py", "--task", "99999"], 2, "no task with id '99999'"),
])
def test_cli_bad_input(cli, args, code, message):
    res = cli("sample", *args)
    assert res.returncode == code and message in res.stderr and "Traceback" not in res.stderr


def test_cli_program_failure_exit_1(cli, tmp_path):
    program = tmp_path / "dup.py"
    program.write_text("AXES = []\ndef generate(t, n, l, r):\n    return [{'persona_id': 'x', 'description': 'd', "
                       "'axis_placement': {}, 'policy': 'p'}] * n\n")
    res = cli("sample", "--program", str(program), "--task", "5", "--n", "2")
    assert res.returncode == 1 and "duplicate persona_id 'x'" in res.stderr and "Traceback" not in res.stderr
