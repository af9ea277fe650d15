"""Run-time attribute traversal by allowed library objects: one test per route closed in
safe_stdlib.py. Each program builds its dunder names at run time, so the static gate passes it; before
the fix each one reached `os`, evaluated a string as code, or wrote into a loaded module."""

from __future__ import annotations

import pytest

from evopersona.generator import ProgramFailed
from tests.sandbox.conftest import TASK

D = '"_" * 2 + "%s" + "_" * 2'
RET = ("    return [{'persona_id': 'p', 'description': 'd', 'axis_placement': {}, "
       "'policy': str(os.getpid())}]\n")
ROUTES = {
    "formatter_get_field": (
        "import string, random\n"
        "def generate(task, n, llm, rng):\n"
        f"    g = string.Formatter().get_field('0.' + {D % 'globals'}, [random.Random.seed], {{}})[0]\n"
        "    os = g['_os']\n" + RET),
    "formatter_subclass_super": (
        "import string, random\n"
        "class F(string.Formatter):\n    pass\n"
        "def generate(task, n, llm, rng):\n"
        f"    g = super(F, F()).get_field('0.' + {D % 'globals'}, [random.Random.seed], {{}})[0]\n"
        "    os = g['_os']\n" + RET),
    "update_wrapper_dataclass_replace": (
        "import functools, dataclasses, random\n"
        "@dataclasses.dataclass\nclass B:\n    x: int = 0\n    def __init__(self, **kw):\n        self.kw = kw\n"
        "def generate(task, n, llm, rng):\n"
        f"    name = {D % 'globals'}\n"
        "    b = B()\n"
        "    functools.update_wrapper(b, random.Random.seed, assigned=[name], updated=[])\n"
        "    dataclasses.fields(B)[0].name = name\n"
        "    os = dataclasses.replace(b).kw[name]['_os']\n" + RET),
    "field_object_alias_asdict": (
        "import functools, dataclasses, random\n"
        "f = dataclasses.field(default=0)\n"
        "@dataclasses.dataclass\nclass B:\n    x: int = f\n"
        "def generate(task, n, llm, rng):\n"
        f"    f.name = {D % 'class'}\n"
        "    t = dataclasses.astuple(B())\n"
        "    return [{'persona_id': 'p', 'description': 'd', 'axis_placement': {}, 'policy': repr(t)}]\n"),
    "typeddict_dataclass_injection": (
        "import typing, dataclasses\n"
        "def generate(task, n, llm, rng):\n"
        f"    code = 'x=1):\\n  import os as m\\n  return m.getpid()\\n def ' + {D % 'unused'} + '(self'\n"
        "    T = typing.TypedDict('T', {code: int})\n"
        "    dataclasses.dataclass(T)\n"
        "    return []\n"),
    "make_dataclass_dunder_field": (
        "import dataclasses\n"
        "def generate(task, n, llm, rng):\n"
        f"    X = dataclasses.make_dataclass('X', [{D % 'class'}])\n"
        "    return []\n"),
    "singledispatch_string_annotation": (
        "import functools\n"
        "@functools.singledispatch\ndef f(x):\n    return x\n"
        "def generate(task, n, llm, rng):\n"
        "    def g(x: '[(k := (k.gi_frame.f_back.f_back.f_globals for _ in [0])), next(k)][1]'):\n        return x\n"
        "    f.register(g)\n    return []\n"),
    "global_enum_pollutes_a_module": (
        "import enum\n"
        "def generate(task, n, llm, rng):\n"
        "    E = enum.Enum('E', {'dumps': 1}, module='json')\n"
        "    enum.global_enum(E)\n    return []\n"),
    "wraps_custom_names": (
        "import functools, random\n"
        "class Box:\n    pass\n"
        "def generate(task, n, llm, rng):\n"
        f"    functools.wraps(random.Random.seed, assigned=[{D % 'globals'}], updated=[])(Box())\n"
        "    return []\n"),
}

ALLOWED_USE = '''
import dataclasses, enum, functools, string

@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    label: str = "p"

Colour = enum.Enum("Colour", "RED GREEN")

def loud(fn):
    @functools.wraps(fn)
    def inner(*args):
        return fn(*args).upper()
    return inner

@loud
def describe(p):
    return string.Formatter().format("{0.label}-{0.x}-{c}", p, c=Colour.RED.name)

def generate(task, n, llm, rng):
    p = dataclasses.replace(Point(1), x=2)
    made = dataclasses.make_dataclass("Made", ["a", ("b", int, dataclasses.field(default=3))])
    text = "|".join([describe(p), str(dataclasses.asdict(p)), str(dataclasses.astuple(made(1))),
                     str([f.name for f in dataclasses.fields(p)]), "ok"])
    return [{"persona_id": "p", "description": "d", "axis_placement": {}, "policy": text}]
'''


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_is_closed(pool, name):
    with pytest.raises(ProgramFailed) as info:
        pool.run("AXES = []\n" + ROUTES[name], TASK, 1, 0)
    assert info.value.kind == "program_error", info.value
    assert "not allowed in the sandbox" in info.value.reason or "no public attribute" in info.value.reason


def test_ordinary_use_of_the_narrowed_names_still_works(pool):
    policy = pool.run("AXES = []\n" + ALLOWED_USE, TASK, 1, 0).records[0].policy
    assert policy == "P-2-RED|{'x': 2, 'label': 'p'}|(1, 3)|['x', 'label']|ok"
