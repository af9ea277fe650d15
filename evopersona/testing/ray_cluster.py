"""A multi-node Ray cluster on one machine, for tests and benches: nodes as separate `ray start` processes.

The head runs with 0 CPUs (so every evaluation runs on a worker node). Each worker node can run in a
private mount namespace where given folders (the driver's run folder) are empty tmpfs mounts, as on
a separate machine. Token authentication is on, with a token of this cluster's own passed through
the environment (`RAY_AUTH_TOKEN`), never the user's `~/.ray/auth_token`. Ports are free ports and
the temp dir is private; `stop()` ends only this cluster's processes (by process group).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ports(*names: str) -> list[str]:
    return [arg for name in names for arg in (f"--{name}", str(free_port()))]


def private_mount_prefix(hidden: list[Path]) -> list[str]:
    """A command prefix running the rest in a new mount namespace where `hidden` folders are empty tmpfs.

    As root `unshare -m` is enough; an ordinary user gets a user namespace too (`unshare -Urm`)."""
    mounts = " && ".join(f"mount -t tmpfs tmpfs '{p}'" for p in hidden)
    flags = "-m" if os.geteuid() == 0 else "-Urm"
    return ["unshare", flags, "--propagation", "private", "sh", "-c", f'{mounts} && exec "$@"', "sh"]


@dataclass
class RayNode:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGTERM, wait_s: float = 5.0) -> None:
        """End this node's process group (its raylet and workers); SIGKILL what outlives `wait_s` (some
        Ray processes ignore SIGTERM for half a minute; a machine that goes away does not wait either)."""
        if self.process.poll() is None or _group_alive(self.process.pid):
            _signal_group(self.process.pid, sig)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and _group_alive(self.process.pid):
                time.sleep(0.2)
            _signal_group(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class LocalRayCluster:
    """Start with `start_head()`, add nodes with `add_worker()`, always `stop()` at the end.

    Keep `root` short: Ray's unix sockets live below it and their paths may not exceed 107 bytes."""

    root: Path
    python: str = sys.executable
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    nodes: list[RayNode] = field(default_factory=list)
    port: int = 0
    dashboard_port: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    def env(self) -> dict[str, str]:
        """The environment a driver or node of this cluster needs: token auth on, with this cluster's token."""
        env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN_PATH")}
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=self.token, RAY_USAGE_STATS_ENABLED="0")
        return env

    def _start(self, name: str, args: list[str], prefix: list[str] | None = None) -> RayNode:
        log = self.root / f"{name}.log"
        command = [*(prefix or []), self.python, "-m", "ray.scripts.scripts", "start", "--block", "--disable-usage-stats",
                   "--node-ip-address", "127.0.0.1", *args]
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env(),
                                       start_new_session=True, cwd=self.root)
        node = RayNode(name, process, log)
        self.nodes.append(node)
        return node

    def _launch(self, name: str, args: Callable[[], list[str]], prefix: list[str] | None = None, attempts: int = 3) -> RayNode:
        """Start a node and wait until it runs. A node whose dashboard agent starts too slowly (a loaded
        machine) aborts at start-up; the next attempt, with fresh ports, finds the imports warm."""
        for _ in range(attempts - 1):
            node = self._start(name, args(), prefix)
            try:
                self.wait_for_node(node)
                return node
            except RuntimeError:
                node.stop()
                self.nodes.remove(node)
        node = self._start(name, args(), prefix)
        self.wait_for_node(node)
        return node

    def _head_args(self) -> list[str]:
        self.port, self.dashboard_port = free_port(), free_port()
        return [
            "--head", "--num-cpus", "0", "--port", str(self.port), "--temp-dir", str(self.root / "r"),
            "--include-dashboard", "true", "--dashboard-host", "127.0.0.1", "--dashboard-port", str(self.dashboard_port),
            *_ports("ray-client-server-port", "node-manager-port", "object-manager-port", "dashboard-agent-listen-port",
                    "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port"),
        ]

    def start_head(self) -> RayNode:
        self.root.mkdir(parents=True, exist_ok=True)
        return self._launch("head", self._head_args)

    def add_worker(self, num_cpus: int = 2, hidden: list[Path] | None = None) -> RayNode:
        """A worker node; `hidden` folders are empty inside its private mount namespace."""
        prefix = private_mount_prefix(hidden) if hidden else None

        def args() -> list[str]:
            return ["--address", self.address, "--num-cpus", str(num_cpus),
                    *_ports("node-manager-port", "object-manager-port", "dashboard-agent-listen-port",
                            "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port")]

        return self._launch(f"worker{len(self.nodes)}", args, prefix)

    def wait_for_node(self, node: RayNode) -> None:
        """Until `ray start` says the node runs; raises with its log when it exits or times out first."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and node.process.poll() is None:
            if "Ray runtime started" in node.log.read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"Ray node {node.name} did not start:\n{node.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        """Workers first, then the head; only the processes this cluster started."""
        for node in reversed(self.nodes):
            node.stop()
        self.nodes.clear()
