"""Process-level limits, proven with code that bypasses the gate and the restricted namespace."""

from __future__ import annotations

import json
import os
import socket
import threading

from tests.sandbox.conftest import FAKE_KEY


def _ok(reply: dict) -> object:
    assert reply["type"] == "result", reply
    return json.loads(reply["body"])


def test_child_runs_as_nobody_when_parent_is_root(probe):
    uid = _ok(probe.run("import os\nresult = [os.getuid(), os.getgid(), os.getgroups()]"))
    if os.geteuid() == 0:
        assert uid == [65534, 65534, []]


def test_fork_bomb_fails_in_child(probe):
    reply = probe.run("import os\nwhile True:\n    os.fork()")
    assert reply["type"] == "error" and reply["kind"] == "BlockingIOError", reply


def test_subprocess_cannot_start(probe):
    reply = probe.run("import subprocess\nsubprocess.run(['/bin/true'])")
    assert reply["type"] == "error" and reply["kind"] in ("BlockingIOError", "PermissionError"), reply


def test_socket_cannot_reach_parent_loopback_server(probe):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        code = (f"import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', {port}))\n"
                "result = 'connected'")
        reply = probe.run(code)
    finally:
        server.close()
    assert reply["type"] == "error", reply
    assert reply["kind"] in ("OSError", "ConnectionRefusedError", "TimeoutError"), reply
    assert not accepted


def test_parent_environment_is_invisible(probe):
    assert os.environ["OPENAI_API_KEY"] == FAKE_KEY  # the parent really has it while the probe runs
    env = _ok(probe.run("import os\nresult = dict(os.environ)"))
    assert "OPENAI_API_KEY" not in env and "HTTPS_PROXY" not in env
    assert set(env) <= {"PATH", "LANG", "HOME", "TMPDIR", "LITELLM_LOCAL_MODEL_COST_MAP"}
    code = (f"import os\ntry:\n    result = open('/proc/{os.getpid()}/environ', 'rb').read().decode('latin-1')\n"
            "except OSError as exc:\n    result = 'denied: ' + type(exc).__name__")
    leaked = _ok(probe.run(code))
    assert FAKE_KEY not in leaked


def test_writes_outside_private_dir_fail_and_inside_work(probe, tmp_path):
    target = tmp_path / "escape.txt"
    reply = probe.run(f"open({str(target)!r}, 'w').write('x')")
    assert reply["type"] == "error" and reply["kind"] == "PermissionError", reply
    assert not target.exists()
    inside = _ok(probe.run("open('scratch.txt', 'w').write('ok')\nimport os\nresult = os.getcwd()"))
    assert "evopersona-sandbox-" in inside


def test_file_size_is_capped(probe):
    reply = probe.run("open('big.bin', 'wb').write(b'x' * (8 << 20))")
    assert reply["type"] == "error", reply
