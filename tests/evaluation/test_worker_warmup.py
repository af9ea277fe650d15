"""warm_llm_client: what a Ray actor runs when it starts, so its first evaluation does not build litellm's
lazy state while the LLM idles. It must leave nothing bound to an event loop of its own: the worker's
evaluations run on another loop, where litellm would otherwise warn and move its logging work over."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import asyncio, sys
from evopersona.evaluation.worker import warm_llm_client
warm_llm_client()
assert "litellm" in sys.modules
from evopersona.config import LLMConfig
from evopersona.llm.gateway import Gateway

async def evaluate():
    gateway = Gateway(LLMConfig(max_retries=0))
    try:
        return (await gateway.acomplete("reflection", [{"role": "user", "content": "how did it go?"}], seed=1)).text
    finally:
        await gateway.aclose()

print("ANSWER", bool(asyncio.run(evaluate())))
"""


def test_warm_up_then_a_call_on_the_workers_loop_is_clean() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ANSWER True" in result.stdout
    assert "event loop changed" not in result.stderr, result.stderr[-2000:]
    assert "warm-up failed" not in result.stderr
