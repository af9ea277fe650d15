"""The hostile-program tests again, as an ordinary user (CI runs as root, so this creates one).

As root: `useradd` a throwaway user, put a secret it can read in its home, open a loopback listener
as root, grant o+x on the directories between `/` and the interpreter/checkout that lack it (pyenv
lives under /root, mode 0700), run test_confinement.py as that user with `setpriv`, then restore the
modes, check the canaries and delete the user. Not root: the same run as the current user.
"""

from __future__ import annotations

import os
import pwd
import select
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.users import as_user, throwaway_user, traversable

SECRET = "canary-secret-7f3a"


def _run_confinement_tests(home: Path, port: int, user: pwd.struct_passwd | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(home),
           "EVOPERSONA_CANARY_HOME": str(home), "EVOPERSONA_CANARY_PORT": str(port)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=--import-mode=importlib",
               "tests/sandbox/test_confinement.py"]
    if user is not None:
        command = as_user(user, command)
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_os_layers_hold_for_an_ordinary_user(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        if os.geteuid() == 0:
            with throwaway_user() as user, traversable([Path(sys.executable), Path(sys.prefix), REPO_ROOT]):
                home = Path(user.pw_dir)
                secret = home / "secret.txt"
                secret.write_text(SECRET)
                os.chown(secret, user.pw_uid, user.pw_gid)
                secret.chmod(0o600)
                done = _run_confinement_tests(home, port, user)
                assert secret.read_text() == SECRET
                assert sorted(p.name for p in home.iterdir() if p.name.startswith("sandbox-was-here")) == []
        else:
            done = _run_confinement_tests(tmp_path, port, None)
        reached, _, _ = select.select([listener], [], [], 0.2)
    finally:
        listener.close()
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
    assert reached == [], "a sandboxed program reached the loopback listener"
    assert [p for p in Path("/tmp").glob("sandbox-was-here-*")] == []
