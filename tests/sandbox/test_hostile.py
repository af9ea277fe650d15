"""Hostile programs through the real pool: each is contained with a clear reason, and the pool keeps
serving a good program afterwards."""

from __future__ import annotations

import pytest

from evopersona.generator import ProgramFailed
from evopersona.sandbox.gate import GateRejected
from tests.sandbox.conftest import GOOD, TASK

AXES = 'AXES = [{"name": "a", "definition": "d", "on": "x", "off": "y"}]\n'

HOSTILE = {
    "infinite_loop": ("def generate(task, n, llm, rng):\n    while True:\n        pass\n", ("cpu", "timeout")),
    "memory_bomb": ("def generate(task, n, llm, rng):\n    x = 'a' * (2 << 30)\n    return [x]\n", ("memory",)),
    "memory_bomb_list": ("def generate(task, n, llm, rng):\n    x = []\n    while True:\n        x.append([0] * 100000)\n",
                         ("memory", "timeout")),
    "deep_recursion": ("def f(k):\n    return f(k + 1) + 1\n\ndef generate(task, n, llm, rng):\n    return f(0)\n",
                       ("recursion",)),
    "huge_output": ("def generate(task, n, llm, rng):\n    return [{'persona_id': 'p%d' % i, 'description': 'd', "
                    "'axis_placement': {}, 'policy': 'x' * 500000} for i in range(n)]\n", ("output",)),
    "non_serialisable": ("def generate(task, n, llm, rng):\n    return [{'persona_id': 'p', 'description': 'd', "
                         "'axis_placement': {}, 'policy': {1, 2}}]\n", ("contract",)),
    "dataclass_output": (("import dataclasses\n@dataclasses.dataclass\nclass R:\n    persona_id: str = 'p'\n"
                          "def generate(task, n, llm, rng):\n    return [R(), R()]\n"), ("contract",)),
    "monkeypatch_bridge": ("def generate(task, n, llm, rng):\n    llm.complete = lambda p: 'x'\n    return []\n",
                           ("program_error",)),
    "monkeypatch_module": ("import json\ndef generate(task, n, llm, rng):\n    json.dumps = None\n    return []\n",
                           ("program_error",)),
    "builtins_access": ("def generate(task, n, llm, rng):\n    m = __builtins__\n    return []\n", ()),
    "raises": ("def generate(task, n, llm, rng):\n    raise ValueError('boom')\n", ("program_error",)),
}


def _good_still_works(pool):
    assert len(pool.run(GOOD, TASK, 3, 0).records) == 3


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(pool, name):
    body, kinds = HOSTILE[name]
    with pytest.raises(ProgramFailed) as info:
        pool.run(AXES + body, TASK, 2, 0)
    if kinds:
        assert info.value.kind in kinds, info.value
    else:
        assert isinstance(info.value, GateRejected)
    assert info.value.reason
    _good_still_works(pool)


def test_timeout_kills_the_worker_and_a_new_one_serves(pool):
    spawned = pool.spawned
    with pytest.raises(ProgramFailed, match="cpu|timeout"):
        pool.run(AXES + HOSTILE["infinite_loop"][0], TASK, 2, 0)
    _good_still_works(pool)
    assert pool.spawned == spawned + 1


def test_wall_clock_timeout_when_cpu_limit_is_higher():
    from evopersona.config import SandboxConfig
    from evopersona.sandbox.pool import SandboxPool

    config = SandboxConfig(timeout_s=1, cpu_seconds=30, memory_mb=256, pool_size=1)
    with SandboxPool(config) as p:
        with pytest.raises(ProgramFailed) as info:
            p.run(AXES + HOSTILE["infinite_loop"][0], TASK, 2, 0)
        assert info.value.kind == "timeout"
        assert len(p.run(GOOD, TASK, 2, 0).records) == 2


@pytest.mark.parametrize("snippet", [
    "import os", "import subprocess", "import ctypes", "import socket", "from os import path",
    "x = open('/etc/passwd')", "eval('1')", "exec('x=1')", "__import__('os')", "globals()",
    "getattr(rng, '__class__')", "().__class__.__bases__", "rng._randbelow(3)",
    "import random\nrandom.Random.__init__", "g = (i for i in [])\ng.gi_frame", "type(rng)",
    "compile('1', 'x', 'eval')", "import collections.abc",
])
def test_escapes_are_rejected_before_running(pool, snippet):
    with pytest.raises(GateRejected):
        pool.run(AXES + snippet + "\n" + "def generate(task, n, llm, rng):\n    return []\n", TASK, 1, 0)


def test_namespace_blocks_dynamic_private_access(pool):
    src = AXES + "def generate(task, n, llm, rng):\n    return getattr(rng, '_' + 'randbelow')(3)\n"
    with pytest.raises(ProgramFailed, match="not allowed"):
        pool.run(src, TASK, 1, 0)
    _good_still_works(pool)


def test_allowed_modules_hide_their_imports(pool):
    src = AXES + "import typing\ndef generate(task, n, llm, rng):\n    return typing.sys\n"
    with pytest.raises(ProgramFailed, match="no public attribute 'sys'"):
        pool.run(src, TASK, 1, 0)


def test_program_cache_reuses_module_state(pool):
    src = AXES + ("calls = []\n\ndef generate(task, n, llm, rng):\n    calls.append(1)\n"
                  "    return [{'persona_id': 'p%d' % len(calls), 'description': 'd', 'axis_placement': {}, "
                  "'policy': 'p'}]\n")
    first = pool.run(src, TASK, 1, 0).records[0].persona_id
    second = pool.run(src, TASK, 1, 0).records[0].persona_id
    assert (first, second) == ("p1", "p2")  # module code ran once: the second call reused the namespace
