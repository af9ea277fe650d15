"""The CLI as a user runs it: real subprocesses, exit codes, JSON on stdout."""

import json
import subprocess
import sys

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_commands_and_imports_neither_ray_nor_litellm():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from evopersona.cli.app import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'tasks' in result.output\n"
        "bad = [m for m in ('ray', 'litellm', 'sklearn') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == ""


def test_tasks_list_imports_neither_ray_nor_litellm():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from evopersona.cli.app import app\n"
        "result = CliRunner().invoke(app, ['tasks', 'list', '--domain', 'retail', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(','.join(m for m in ('ray', 'litellm') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == ""


def test_tasks_list_json(cli):
    result = cli("tasks", "list", "--domain", "airline", "--split", "test", "--json")
    assert result.returncode == 0, result.stderr
    tasks = json.loads(result.stdout)
    assert len(tasks) == 20
    assert all(t["split"] == "test" and t["domain"] == "airline" for t in tasks)


def test_tasks_list_table(cli):
    result = cli("tasks", "list", "--domain", "retail")
    assert result.returncode == 0
    assert "retail tasks (all): 114" in result.stdout


def test_tasks_show(cli):
    result = cli("tasks", "show", "5", "--domain", "retail")
    assert result.returncode == 0
    assert "mei_kovacs_8020" in result.stdout


def test_bad_input_is_exit_2_without_traceback(cli, tmp_path):
    result = cli("tasks", "list", "--domain", "banking")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "banking" in result.stderr
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"id": "1"}\n')
    result = cli("tasks", "list", "--domain", str(bad))
    assert result.returncode == 2
    assert "field 'domain'" in result.stderr and "Traceback" not in result.stderr
