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
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO_ROOT

SECRET = "canary-secret-7f3a"


def _ancestors(path: Path) -> list[Path]:
    resolved = path.resolve()
    return [resolved, *resolved.parents]


@contextmanager
def _traversable(paths: list[Path]) -> Iterator[None]:
    """Temporarily add o+x to every directory on the way to `paths`; restore the exact modes afterwards."""
    changed: dict[Path, int] = {}
    try:
        for path in paths:
            for directory in _ancestors(path):
                mode = directory.stat().st_mode
                if directory.is_dir() and directory not in changed and not mode & stat.S_IXOTH:
                    changed[directory] = stat.S_IMODE(mode)
                    directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
        yield
    finally:
        for directory, mode in changed.items():
            directory.chmod(mode)


@contextmanager
def _throwaway_user() -> Iterator[pwd.struct_passwd]:
    name = f"evp{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", "--remove", name], check=True, capture_output=True)


def _run_confinement_tests(home: Path, port: int, user: pwd.struct_passwd | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(home),
           "EVOPERSONA_CANARY_HOME": str(home), "EVOPERSONA_CANARY_PORT": str(port)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=--import-mode=importlib",
               "tests/sandbox/test_confinement.py"]
    if user is not None:
        command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *command]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_os_layers_hold_for_an_ordinary_user(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        if os.geteuid() == 0:
            with _throwaway_user() as user, _traversable([Path(sys.executable), Path(sys.prefix), REPO_ROOT]):
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
