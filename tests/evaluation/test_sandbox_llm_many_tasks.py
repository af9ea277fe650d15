"""A program that calls the LLM, run on more tasks than the event loop's default executor has threads.

The sandbox's LLM requests are served on the event loop, and litellm runs part of every call on that
loop's default executor. Sandbox calls used to wait for a pool slot on that same executor
(`asyncio.to_thread`), so with enough tasks every one of its threads waited for a slot while the
programs holding the slots waited for an LLM answer that needed one of those threads: the evaluation
never finished. The scenarios run in a child process with a deadline, so a hang fails the test.
The child pins the default executor to 2 threads (a 2-core machine has 6) and the pool to one slot,
so four tasks are enough whatever the host.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60

CALLS_LLM = '''
AXES = []


def generate(task, n, llm, rng):
    reply = llm.complete("Describe one customer for task " + task["id"], temperature=0.0)
    return [{"persona_id": "p%d" % i, "description": "A customer (%d characters of notes)." % len(reply),
             "axis_placement": {}, "policy": "Write short lowercase messages."} for i in range(n)]
'''

CHILD = '''
import asyncio, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evopersona.config import load_config
from evopersona.evaluation.pipeline import generate
from evopersona.evaluation.reference import baseline_transcripts
from evopersona.llm.factory import make_gateway
from evopersona.sandbox.bridge import gateway_handler
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import load_domain

program, runs_dir = Path(sys.argv[1]), sys.argv[2]
config = load_config(Path("runs/quickstart.toml"), [f"runs_dir={runs_dir}", "sandbox.pool_size=1",
                     "episodes.max_turns=2", "fitness.baseline_personas_per_task=1",
                     f"fitness.baseline_program={program}"])
tasks = load_domain("retail")[:4]


async def main():
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
    gateway = make_gateway(config)
    try:
        handler = gateway_handler(gateway, loop=asyncio.get_running_loop())
        with SandboxPool(config.sandbox, handler) as pool:
            outputs = await asyncio.gather(*(generate(pool, program.read_text(), t, 2, 0) for t in tasks))
        print("generated", sum(len(records) for records, _ in outputs), flush=True)
        print("baseline episodes", len(await baseline_transcripts(config, gateway, tasks)), flush=True)
    finally:
        await gateway.aclose()


asyncio.run(main())
'''


def test_llm_calling_program_on_more_tasks_than_threads_finishes(tmp_path: Path):
    """Persona generation (pipeline.generate, also used by compare) and the reference's baseline runs."""
    program = tmp_path / "calls_llm.py"
    program.write_text(CALLS_LLM, encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(program), str(tmp_path / "runs")], check=False,
                              cwd=REPO, env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},  # no network
                              capture_output=True, text=True, timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"deadlock: the scenarios did not finish within {DEADLINE_S}s") from None
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["generated 8", "baseline episodes 4"]
