"""The OS layers alone confine a program that already holds `os`: the code below runs in a real worker
with the gate and the namespace views switched off (see probe_child.py).

Canaries: a secret readable by the current user in a home folder, files that must not appear in that
home and in /tmp, and loopback listeners that must never see a connection. test_unprivileged.py runs
this module again as an ordinary user, pointing the canaries at that user's real home and at a
listener owned by root (EVOPERSONA_CANARY_HOME / EVOPERSONA_CANARY_PORT).
"""

from __future__ import annotations

import json
import os
import select
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evopersona.config import SandboxConfig
from evopersona.generator import ProgramFailed
from tests.conftest import REPO_ROOT
from tests.sandbox.conftest import FAKE_KEY, Probe

SECRET = "canary-secret-7f3a"


def _ok(reply: dict) -> object:
    assert reply["type"] == "result", reply
    return json.loads(reply["body"])


def _denied(reply: dict, *kinds: str) -> None:
    assert reply["type"] == "error", reply
    assert reply["kind"] in (kinds or ("PermissionError",)), reply


@dataclass
class Canaries:
    secret: Path
    forbidden: list[Path]
    listeners: list[socket.socket]
    ports: list[int]

    def untouched(self) -> None:
        assert self.secret.read_text() == SECRET
        assert [p for p in self.forbidden if p.exists()] == []
        ready, _, _ = select.select(self.listeners, [], [], 0.2)
        assert ready == [], "a sandboxed program reached a loopback listener"


@pytest.fixture(scope="module")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canaries]:
    home = Path(os.environ.get("EVOPERSONA_CANARY_HOME") or tmp_path_factory.mktemp("home"))
    secret = home / "secret.txt"
    if not secret.exists():
        secret.write_text(SECRET)
    tag = uuid.uuid4().hex[:8]
    forbidden = [home / f"sandbox-was-here-{tag}.txt", Path(tempfile.gettempdir()) / f"sandbox-was-here-{tag}.txt"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    ports = [listener.getsockname()[1]] + ([int(os.environ["EVOPERSONA_CANARY_PORT"])]
                                           if "EVOPERSONA_CANARY_PORT" in os.environ else [])
    found = Canaries(secret, forbidden, [listener], ports)
    yield found
    found.untouched()
    listener.close()


def test_required_layers_are_on(probe):
    report = probe.worker.report
    assert report.missing == []
    expected = {"gate", "network_namespace", "filesystem", "seccomp", "rlimits",
                "privilege_drop" if os.geteuid() == 0 else "user_namespace"}
    assert {k for k, v in report.layers.items() if v} >= expected, report
    if os.geteuid() == 0:
        assert _ok(probe.run("import os\nresult = [os.getuid(), os.getgid(), os.getgroups()]")) == [65534, 65534, []]


def test_cannot_read_outside_private_dir(probe, canaries):
    for path in (canaries.secret, "/etc/passwd", REPO_ROOT / "pyproject.toml", f"/proc/{os.getpid()}/environ"):
        _denied(probe.run(f"result = open({str(path)!r}, 'rb').read().decode('latin-1')"))
    _denied(probe.run(f"import os\nresult = os.listdir({str(canaries.secret.parent)!r})"))
    _denied(probe.run("import os\nresult = os.listdir('/')"))
    canaries.untouched()


def test_cannot_write_outside_private_dir_but_can_inside(probe, canaries):
    for path in canaries.forbidden:
        _denied(probe.run(f"open({str(path)!r}, 'w').write('x')"))
        _denied(probe.run(f"import os\nos.mkdir({str(path)!r})"))
        _denied(probe.run(f"import os\nos.symlink('/etc/passwd', {str(path)!r})"))
    _denied(probe.run(f"open({str(canaries.secret)!r}, 'a').write('x')"))
    inside = _ok(probe.run("open('scratch.txt', 'w').write('ok')\nimport os\nresult = [os.getcwd(), "
                           "open('scratch.txt').read()]"))
    assert "evopersona-sandbox-" in inside[0] and inside[1] == "ok"
    canaries.untouched()


def test_cannot_reach_any_address(probe, canaries):
    for port in canaries.ports:
        _denied(probe.run(f"import socket\ns = socket.socket()\ns.settimeout(2)\n"
                          f"s.connect(('127.0.0.1', {port}))\nresult = 'connected'"), "PermissionError", "OSError", "ConnectionRefusedError")
    _denied(probe.run("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                      "s.sendto(b'x', ('127.0.0.1', 53))"), "PermissionError", "OSError")
    _denied(probe.run("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/run/postgresql/.s.PGSQL.5432')"),
            "PermissionError", "OSError", "FileNotFoundError")
    canaries.untouched()


def test_cannot_start_a_process(probe):
    for code in ("import os\nos.fork()", "import subprocess\nsubprocess.run(['/bin/true'])",
                 "import os\nos.posix_spawn('/bin/true', ['true'], {})", "import os\nos.execv('/bin/true', ['true'])"):
        _denied(probe.run(code), "PermissionError", "BlockingIOError")


def test_cannot_signal_or_trace_another_process(probe):
    other = Probe()
    try:
        for pid in (os.getpid(), other.worker.proc.pid):
            _denied(probe.run(f"import os, signal\nos.kill({pid}, signal.SIGKILL)"))
            attached = _ok(probe.run(f"import ctypes\nresult = ctypes.CDLL(None).ptrace(16, {pid}, 0, 0)"))
            assert attached == -1
        assert other.worker.alive()
        assert _ok(other.run("result = 1")) == 1
    finally:
        other.worker.stop()


def test_parent_environment_is_invisible(probe):
    assert os.environ["OPENAI_API_KEY"] == FAKE_KEY  # the parent really has it while the probe runs
    env = _ok(probe.run("import os\nresult = dict(os.environ)"))
    assert "OPENAI_API_KEY" not in env and "HTTPS_PROXY" not in env
    assert set(env) <= {"PATH", "LANG", "HOME", "TMPDIR", "LITELLM_LOCAL_MODEL_COST_MAP"}


def test_output_and_file_size_are_bounded(probe):
    _denied(probe.run("open('big.bin', 'wb').write(b'x' * (8 << 20))"), "OSError")
    reply = probe.worker.call({"type": "run", "hash": "big-output", "source": "AXES = []\ndef generate(t, n, l, r):\n"
                               "    return ['x' * 1000000]\n", "task": {}, "n": 0, "seed": 0, "cpu_seconds": 2,
                               "max_output_bytes": 100_000}, lambda requests: [])
    assert reply["type"] == "error" and reply["kind"] == "output", reply


def test_memory_is_bounded(probe):
    reply = probe.run("x = bytearray(2 << 30)\nresult = len(x)")
    assert reply["type"] == "error" and "memory" in reply["reason"], reply


@pytest.mark.parametrize(("config", "kind"), [
    (SandboxConfig(timeout_s=600, cpu_seconds=1, memory_mb=256, pool_size=1), "cpu"),  # wall time >> CPU time on a loaded machine
    (SandboxConfig(timeout_s=1, cpu_seconds=30, memory_mb=256, pool_size=1), "timeout"),
])
def test_cpu_and_wall_time_are_bounded(config, kind):
    probe = Probe(config)
    with pytest.raises(ProgramFailed) as info:
        probe.run("while True:\n    pass")
    assert info.value.kind == kind
    assert not probe.worker.alive()
