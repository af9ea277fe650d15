"""Process-level confinement of a worker: the layer that holds even if the gate and namespace fail.

`confine()` runs inside the child, after it has imported everything it will ever need (once it is
`nobody` it cannot read the interpreter's files under /root). Order matters: the network namespace
needs root, so it comes first; RLIMIT_NPROC only binds an unprivileged user, so it comes last.
Each step that the platform refuses is reported back as a warning, never silently skipped.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import resource
import shutil
import tempfile
from pathlib import Path
from typing import Any

CLONE_NEWNET = 0x40000000
SANDBOX_USER = "nobody"
MAX_OPEN_FILES = 32
MAX_FILE_BYTES = 1 << 20


def sandbox_identity() -> tuple[int, int] | None:
    """(uid, gid) the worker drops to when the parent is root; None when it is not root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def make_workdir() -> Path:
    """A private temporary directory the worker (and only it) may write to."""
    path = Path(tempfile.mkdtemp(prefix="evopersona-sandbox-"))
    identity = sandbox_identity()
    if identity is not None:
        os.chown(path, *identity)
    path.chmod(0o700)
    return path


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def minimal_env(workdir: Path) -> dict[str, str]:
    """The whole environment of a worker: built from nothing, so no key or proxy can leak in."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(workdir), "TMPDIR": str(workdir)}


def _unshare_network() -> str | None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        return f"could not enter an empty network namespace ({os.strerror(errno)}); relying on the other limits"
    return None


def _drop_privileges(uid: int, gid: int) -> str | None:
    try:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    except OSError as exc:
        return f"could not drop privileges to '{SANDBOX_USER}' ({exc}); RLIMIT_NPROC does not bind root"
    return None


def _setrlimit(name: str, soft: int, hard: int) -> str | None:
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError) as exc:
        return f"could not set {name} ({exc})"
    return None


def confine(settings: dict[str, Any]) -> list[str]:
    """Confine the current process for good; return warnings for steps the platform refused."""
    warnings: list[str] = []
    workdir = settings["workdir"]
    os.chdir(workdir)
    identity = sandbox_identity()
    if os.geteuid() == 0:
        warnings.append(_unshare_network() or "")
    else:
        warnings.append("not root: no network namespace and no privilege drop; relying on the other limits")
    memory = settings["memory_mb"] * 1024 * 1024
    warnings.append(_setrlimit("RLIMIT_CORE", 0, 0) or "")
    warnings.append(_setrlimit("RLIMIT_AS", memory, memory) or "")
    warnings.append(_setrlimit("RLIMIT_FSIZE", MAX_FILE_BYTES, MAX_FILE_BYTES) or "")
    warnings.append(_setrlimit("RLIMIT_NOFILE", MAX_OPEN_FILES, MAX_OPEN_FILES) or "")
    if identity is not None:
        warnings.append(_drop_privileges(*identity) or "")
    elif os.geteuid() == 0:
        warnings.append(f"user '{SANDBOX_USER}' not found: the worker keeps running as root")
    warnings.append(_setrlimit("RLIMIT_NPROC", 0, 0) or "")
    return [w for w in warnings if w]


def arm_cpu_limit(seconds: int) -> None:
    """Allow `seconds` more CPU time from now (RLIMIT_CPU counts the process's whole life)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
