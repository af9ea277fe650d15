"""Process-level confinement of a worker: the layer that holds even if the gate and namespace fail.

`confine()` runs inside the child after it has imported everything it will ever need, and applies
every OS layer it can, reporting each one as on or off with the reason:

- root: an empty network namespace, then a drop to `nobody`;
- not root: a user namespace holding an empty network namespace (capabilities dropped at once);
- both: Landlock (read the Python installation, read/write only the private directory, no TCP, no
  signals out of the domain), a seccomp deny-list (no process creation, sockets, signals, ptrace,
  namespaces, mounts), and rlimits (CPU, memory, file size, open files, no new processes).

The parent (pool.py) refuses a worker whose required layers are off unless the user accepted it in
`sandbox.allow_weaker`; the worker refuses too, before it reads any program.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import resource
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from evopersona.sandbox import landlock, seccomp

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SANDBOX_USER = "nobody"
MAX_OPEN_FILES = 32
MAX_FILE_BYTES = 1 << 20
OS_LAYERS = ("network_namespace", "filesystem", "user_namespace", "privilege_drop", "seccomp", "rlimits")

_libc = ctypes.CDLL(None, use_errno=True)


def required_layers(is_root: bool, allow_weaker: list[str]) -> list[str]:
    """Layers a worker must have on to run programs: all that apply to this identity, minus the accepted."""
    identity_layer = "privilege_drop" if is_root else "user_namespace"
    wanted = ["network_namespace", "filesystem", identity_layer, "seccomp", "rlimits"]
    return [layer for layer in wanted if layer not in allow_weaker]


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


def _errno_text() -> str:
    return os.strerror(ctypes.get_errno())


def _unshare_network() -> str | None:
    if _libc.unshare(CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWNET) failed: {_errno_text()}"
    return None


def _drop_capabilities() -> str | None:
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    if _libc.capset(header, data) != 0:
        return f"capset failed: {_errno_text()}"
    return None


def _enter_user_namespace() -> str | None:
    """A user namespace owning a fresh network namespace, mapped to our own uid, with no capabilities."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {_errno_text()}"
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    except OSError as exc:
        return f"writing the user namespace's id maps failed: {exc}"
    return _drop_capabilities()


def _drop_privileges(identity: tuple[int, int] | None) -> str | None:
    if identity is None:
        return f"user '{SANDBOX_USER}' not found"
    try:
        os.setgroups([])
        os.setgid(identity[1])
        os.setuid(identity[0])
    except OSError as exc:
        return f"could not drop privileges to '{SANDBOX_USER}': {exc}"
    return None


def _setrlimits(memory_mb: int) -> str | None:
    memory = memory_mb * 1024 * 1024
    try:
        for name, value in (("RLIMIT_CORE", 0), ("RLIMIT_AS", memory), ("RLIMIT_FSIZE", MAX_FILE_BYTES),
                            ("RLIMIT_NOFILE", MAX_OPEN_FILES)):
            resource.setrlimit(getattr(resource, name), (value, value))
    except (ValueError, OSError) as exc:
        return f"setrlimit failed: {exc}"
    return None


def python_installation() -> list[str]:
    """Directories the worker may still read: the interpreter's prefixes (standard library, site-packages)."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return sorted(p for p in prefixes if os.path.isdir(p))


def confine(settings: dict[str, Any]) -> dict[str, Any]:
    """Confine the current process for good; return {"layers": {name: on}, "problems": {name: why off}}."""
    workdir = settings["workdir"]
    os.chdir(workdir)
    problems: dict[str, str] = {}
    is_root = os.geteuid() == 0
    if is_root:
        problems["user_namespace"] = "not needed as root (the worker drops to 'nobody')"
        if error := _unshare_network():
            problems["network_namespace"] = error
    elif error := _enter_user_namespace():
        problems["user_namespace"] = problems["network_namespace"] = error
    ruleset = None
    try:
        ruleset, _ = landlock.prepare(python_installation(), [workdir])
    except OSError as exc:
        problems["filesystem"] = f"Landlock unavailable: {exc.strerror or exc}"
    if error := _setrlimits(int(settings["memory_mb"])):
        problems["rlimits"] = error
    if is_root:
        if error := _drop_privileges(sandbox_identity()):
            problems["privilege_drop"] = error
    else:
        problems["privilege_drop"] = "not root: nothing to drop"
    if ruleset is not None:
        try:
            landlock.restrict_self(ruleset)
        except OSError as exc:
            problems["filesystem"] = f"Landlock refused: {exc.strerror or exc}"
    if error := seccomp.install():
        problems["seccomp"] = error
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError) as exc:
        problems.setdefault("rlimits", f"setrlimit(RLIMIT_NPROC) failed: {exc}")
    return {"layers": {layer: layer not in problems for layer in OS_LAYERS}, "problems": problems}


def arm_cpu_limit(seconds: int) -> None:
    """Allow `seconds` more CPU time from now (RLIMIT_CPU counts the process's whole life)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
