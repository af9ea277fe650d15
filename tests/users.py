"""Helpers for tests that must also hold for an ordinary user while CI runs as root."""

from __future__ import annotations

import pwd
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _ancestors(path: Path) -> list[Path]:
    resolved = path.resolve()
    return [resolved, *resolved.parents]


@contextmanager
def traversable(paths: list[Path]) -> Iterator[None]:
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
def throwaway_user() -> Iterator[pwd.struct_passwd]:
    """A new user with a home folder, deleted (home included) afterwards. Needs root."""
    name = f"evp{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", "--remove", name], check=True, capture_output=True)


def as_user(user: pwd.struct_passwd, command: list[str]) -> list[str]:
    """`command` run with the user's ids and no supplementary groups."""
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--", *command]
