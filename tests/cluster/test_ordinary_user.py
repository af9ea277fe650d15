"""The two-node set-up's non-root path: as an ordinary user a worker node's private mount namespace
needs a user namespace too (`unshare -Urm`). CI runs as root, so this creates a throwaway user and
starts a head and a hiding worker node as that user (see ordinary_user_node.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.users import as_user, throwaway_user, traversable

pytestmark = pytest.mark.slow

SCRIPT = ["-m", "tests.cluster.ordinary_user_node"]


def _run(env: dict[str, str], user=None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *SCRIPT]
    if user is not None:
        command = as_user(user, command)
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_a_worker_node_started_by_an_ordinary_user_does_not_see_the_hidden_folder(tmp_path: Path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "RAY_USAGE_STATS_ENABLED": "0"}
    if os.geteuid() == 0:
        with throwaway_user() as user, traversable([Path(sys.executable), Path(sys.prefix), REPO_ROOT]):
            done = _run({**env, "HOME": user.pw_dir}, user)
    else:
        done = _run({**env, "HOME": os.environ.get("HOME", str(tmp_path))})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["driver"] == ["run.toml"]
    assert seen["worker"] == []
    assert seen["worker_node"] != seen["driver_node"]
