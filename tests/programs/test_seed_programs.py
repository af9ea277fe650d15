"""The four seed programs pass the contract through the sandbox, and their policies preserve the task."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from evopersona.config import SandboxConfig
from evopersona.resources import programs_dir
from evopersona.sandbox.bridge import BridgeRequest
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

SEEDS = ["baseline.py", "direct_prompt.py", "axes_seed.py", "compositional.py"]
FORBIDDEN = re.compile(r"\b(change|falsify|mistype|misspell|forget|withhold|lie about)\b[^.]*\b(fact|goal|email|name|"
                       r"order|id|number|detail)", re.IGNORECASE)


def convention_handler(requests: list[BridgeRequest]) -> list[str]:
    """Answers by the prompt conventions of docs/contracts.md: JSON population or a policy text."""
    answers = []
    for r in requests:
        prompt = r.messages[-1].content
        if "JSON" in prompt:
            n = int(re.search(r"(\d+) personas", prompt).group(1))
            axes = re.findall(r"^- (\w+): ", prompt, re.MULTILINE)
            answers.append(json.dumps([{"persona_id": f"person_{i}", "description": f"Person {i}.",
                                        "axis_placement": {a: (i >> k) % 2 == 1 for k, a in enumerate(axes)},
                                        "policy": f"Write short lowercase messages, person {i}."}
                                       for i in range(n)]))
        else:
            active = re.findall(r"^- (\w+): ", prompt, re.MULTILINE)
            answers.append("Keep messages short. Active: " + ", ".join(active))
    return answers


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(SandboxConfig(pool_size=1), convention_handler) as p:
        yield p


@pytest.fixture(scope="module")
def task():
    return load_domain("retail")[5].generator_view()


@pytest.mark.parametrize("name", SEEDS)
def test_seed_passes_contract(pool, task, name):
    output = pool.run((programs_dir() / name).read_text(), task, 6, 1)
    assert len(output.records) == 6
    assert output.no_persona == (name == "baseline.py")
    for record in output.records:
        assert not FORBIDDEN.search(record.policy), record.policy
        if not output.no_persona:
            assert record.policy


def test_axes_seed_expands_only_active_axes(pool, task):
    output = pool.run((programs_dir() / "axes_seed.py").read_text(), task, 4, 0)
    assert [a.name for a in output.axes] == ["terse", "skeptical", "frustrated", "ambiguous"]
    for record in output.records:
        active = [a for a, on in record.axis_placement.items() if on]
        assert record.policy.endswith(", ".join(active) or "none")


def test_compositional_is_seeded_and_uses_cue_words(pool, task):
    source = (programs_dir() / "compositional.py").read_text()
    first = pool.run(source, task, 30, 3).records
    assert first == pool.run(source, task, 30, 3).records
    assert first != pool.run(source, task, 30, 4).records
    text = " ".join(r.policy for r in first).lower()
    for cue in ("short", "lowercase", "typos", "one detail at a time", "push back", "frustrated", "vague", "bursty"):
        assert cue in text


def test_compositional_weights_steer_sampling(task):
    spec = importlib.util.spec_from_file_location("compositional_seed", programs_dir() / "compositional.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import random

    module.WEIGHTS = {name: 0.0 for name in module.WEIGHTS} | {"terse": 1.0}
    records = module.generate(task, 20, None, random.Random(0))
    assert all(r["axis_placement"] == {a["name"]: a["name"] == "terse" for a in module.AXES} for r in records)


@pytest.mark.skipif(importlib.util.find_spec("evopersona.llm.gateway") is None
                    or importlib.util.find_spec("evopersona.llm.offline") is None,
                    reason="the LLM gateway / offline provider is not built yet")
@pytest.mark.parametrize("name", SEEDS)
def test_seed_with_real_gateway_and_offline_provider(task, name, tmp_path):
    from evopersona.llm.gateway import Gateway

    from evopersona.config import LLMConfig
    from evopersona.sandbox.bridge import gateway_handler

    handler = gateway_handler(Gateway(LLMConfig(), cache_dir=tmp_path))
    with SandboxPool(SandboxConfig(pool_size=1), handler) as p:
        output = p.run((programs_dir() / name).read_text(), task, 5, 2)
    assert len(output.records) == 5
    assert all(r.policy for r in output.records) or output.no_persona
