"""Every LLM role against a real model: how much of its output the pipeline can use.

Real prompts from the pipeline, sent through the gateway to `local/smollm2` (SmolLM2-135M-Instruct,
in-process, see evopersona/llm/local.py) with the run's local-model caps:
- user and agent: built-in episodes (τ² retail test tasks, compositional personas) with the user prompt
  a run gives this model (the small form, simulate/prompts.py); a user reply is usable when the
  cleaning (simulate/user_turn.py) leaves a turn of the user's own (no role labels, no echo, no
  agent-voiced sentence), an agent reply when it is not empty. The same episodes with τ²'s own user
  prompt are measured side by side ("user (τ² prompt)", not in the mean: a run does not use it here);
- generator: the axes_seed population prompt (usable: at least one persona with a description parsed),
  its expansion prompt (usable: instructions of at least 20 words) and the direct_prompt prompt
  (usable: at least one persona read from the reply);
- judge: the preservation judge on those policies (usable: a readable verdict);
- mutator: the mutation prompt on axes_seed (usable: a child that passes every check of diff.py);
- reflection: the reflection prompt on the episodes (usable: at least 15 words).
Also measured, side by side: user and agent calls of one episode replayed on one shared llama context
(what a single llama.cpp server does) against a context per role (what the provider does).

    python bench/real_model.py --n 2      # minutes on 2 quiet cores, much longer on a loaded machine
Ends with `RESULT real_model_usable_share <mean over roles of the usable share>`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from evopersona.config import LLMConfig
from evopersona.evolve.diff import ChildChecks, MutationRejected, apply_mutation
from evopersona.evolve.mutation_prompt import PromptProgram, build_mutation_prompt
from evopersona.fitness.judges import (
    PRESERVATION_ASK,
    PRESERVATION_SYSTEM,
    read_verdict,
)
from evopersona.fitness.reflection import (
    PersonaRow,
    SampleDialogue,
    build_reflection_prompt,
)
from evopersona.llm.gateway import Completion, Gateway
from evopersona.llm.local import LocalModel, model_path
from evopersona.llm.transport import CallSpec
from evopersona.resources import read_program
from evopersona.simulate.episode import run_episode
from evopersona.simulate.prompts import UserPromptStyle, user_prompt_style
from evopersona.simulate.user_turn import clean_user_turn
from evopersona.tasks import load_tasks

MODEL = "local/smollm2"
ROLES = ("user", "agent", "generator", "judge", "mutator", "reflection")
TAU2_USER = "user (τ² prompt)"
SCORES = {"human_likeness": 0.5, "coverage": 0.5, "task_preservation": 1.0, "score": 0.5}  # the reflection's header


def _program(name: str) -> Any:
    """A seed program of this repository, for its prompts and parser (the bench's own trusted code)."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), Path(__file__).parent.parent / "programs" / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Recorder:
    """The gateway, with every completion kept per role (for usability, tokens/s and latency)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.calls: dict[str, list[tuple[list[dict[str, str]], Completion]]] = {role: [] for role in (*ROLES, TAU2_USER)}
        self.bucket: dict[str, str] = {}

    async def acomplete(self, role: str, messages: list[dict[str, str]], **kwargs: Any) -> Completion:
        reply = await self.gateway.acomplete(role, messages, **kwargs)
        self.calls[self.bucket.get(role, role)].append((messages, reply))
        return reply


async def _episodes(recorder: Recorder, tasks: list[Any], policies: list[str], style: UserPromptStyle) -> list[Any]:
    transcripts = []
    for i, (task, policy) in enumerate(zip(tasks, policies, strict=True)):
        transcripts.append(await run_episode(task, policy, recorder, max_turns=3, seed=i, user_prompt=style))
    return transcripts


def _user_usable(calls: list[tuple[list[dict[str, str]], Completion]]) -> list[bool]:
    """A user reply is usable when its cleaning leaves a turn (the last message holds the agent's turn)."""
    return [bool(clean_user_turn(r.text, m[-1]["content"].rpartition("Agent: ")[2])) for m, r in calls]


async def _measure(n: int) -> tuple[dict[str, list[bool]], Recorder, list[Any]]:
    config = LLMConfig(model=MODEL)
    recorder = Recorder(Gateway(config))
    usable: dict[str, list[bool]] = {role: [] for role in (*ROLES, TAU2_USER)}
    tasks = load_tasks("retail", "test")[:n]
    compositional, axes_seed, direct = _program("compositional.py"), _program("axes_seed.py"), _program("direct_prompt.py")
    policies = [compositional.generate(t.generator_view(), 1, None, random.Random(i))[0]["policy"] for i, t in enumerate(tasks)]

    print(f"episodes: {len(tasks)} (3 user turns at most)", file=sys.stderr)
    transcripts = await _episodes(recorder, tasks, policies, user_prompt_style(config))
    usable["user"] = _user_usable(recorder.calls["user"])
    usable["agent"] = [bool(r.text.strip()) for _m, r in recorder.calls["agent"]]
    print("episodes with τ²'s user prompt", file=sys.stderr)
    recorder.bucket = {"user": TAU2_USER, "agent": "agent (τ² prompt)"}
    recorder.calls["agent (τ² prompt)"] = []
    await _episodes(recorder, tasks, policies, "tau2")
    recorder.bucket = {}
    usable[TAU2_USER] = _user_usable(recorder.calls[TAU2_USER])

    print("generator", file=sys.stderr)
    for task in tasks[: max(1, n // 2)]:
        scenario = task.generator_view()["scenario"]
        ask = axes_seed.POPULATION_PROMPT.format(n=3, axes=axes_seed._axis_lines(axes_seed.AXES), scenario=scenario)
        reply = await recorder.acomplete("generator", [{"role": "system", "content": axes_seed.POPULATION_SYSTEM},
                                                       {"role": "user", "content": ask}], seed=1)
        people = axes_seed._parse_population(reply.text, axes_seed.AXES)
        usable["generator"].append(bool(people))
        person = people[0] if people else {"persona_id": "p1", "description": "A customer.", "axis_placement": {}}
        expand = axes_seed.EXPANSION_PROMPT.format(persona_id=person["persona_id"], description=person["description"],
                                                   active=f"- none: {axes_seed.NEUTRAL}", scenario=scenario)
        policy = await recorder.acomplete("generator", [{"role": "system", "content": axes_seed.EXPANSION_SYSTEM},
                                                        {"role": "user", "content": expand}], seed=2)
        usable["generator"].append(len(axes_seed._clean_policy(policy.text, person).split()) >= 20 and bool(policy.text.strip()))
        reply = await recorder.acomplete("generator", [{"role": "system", "content": direct.SYSTEM},
                                                       {"role": "user", "content": direct.PROMPT.format(n=2, scenario=scenario)}], seed=3)
        usable["generator"].append(bool(direct._parse_personas(reply.text)))

    print("judge", file=sys.stderr)
    for i, (task, policy) in enumerate(zip(tasks, policies, strict=True)):
        ask = PRESERVATION_ASK.format(scenario=task.scenario_text(), policy=policy)
        reply = await recorder.acomplete("judge", [{"role": "system", "content": PRESERVATION_SYSTEM},
                                                   {"role": "user", "content": ask}], seed=i)
        usable["judge"].append(read_verdict(reply.text, ("PASS", "FAIL")) is not None)

    print("mutator", file=sys.stderr)
    parent = read_program("axes_seed.py")[1]
    rng = random.Random(0)
    for i in range(max(1, n // 2)):
        prompt = build_mutation_prompt(PromptProgram(1, parent, None), reflection=None, inspirations=[], rng=rng)
        reply = await recorder.acomplete("mutator", prompt.messages, seed=i)
        try:
            apply_mutation(parent, reply.text, ChildChecks(max_code_length=65536))
            usable["mutator"].append(True)
        except MutationRejected as exc:
            print(f"  mutation rejected: {exc.kind}: {exc.reason[:100]}", file=sys.stderr)
            usable["mutator"].append(False)

    print("reflection", file=sys.stderr)
    rows = [PersonaRow(p_human=0.5, behaviours=[]) for _ in transcripts]
    for i in range(max(1, n // 2)):
        samples = [SampleDialogue(policy=policies[i], p_human=0.5, features={},
                                  user_turns=[t.text for t in transcripts[i].turns if t.role == "user"])]
        reply = await recorder.acomplete("reflection", build_reflection_prompt(SCORES, rows, samples), seed=i)
        usable["reflection"].append(len(reply.text.split()) >= 15)
    await recorder.gateway.aclose()
    return usable, recorder, transcripts


def _replay(calls: list[tuple[str, list[dict[str, str]]]], shared: bool) -> float:
    """Seconds to evaluate the prompts of one episode's calls in order (1 token out each)."""
    model = LocalModel(model_path(MODEL))
    started = time.perf_counter()
    for role, messages in calls:
        spec = CallSpec(model=MODEL, messages=messages, role=role, temperature=0.0, max_tokens=1, seed=0,
                        api_base=None, timeout_s=600)
        model.generate("shared" if shared else role, spec)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2, help="episodes and judge calls (half as many of the other roles)")
    parser.add_argument("--skip-replay", action="store_true", help="skip the shared-context vs context-per-role replay")
    args = parser.parse_args()
    usable, recorder, _transcripts = asyncio.run(_measure(args.n))

    print(f"{'role':<17} {'calls':>5} {'usable':>7} {'tok/s':>7} {'p50 s':>6}")
    shares = {}
    for role in (*ROLES, TAU2_USER):
        calls = [reply for _m, reply in recorder.calls[role]]
        shares[role] = sum(usable[role]) / len(usable[role])
        tokens_per_s = sum(c.tokens_out for c in calls) / max(1e-9, sum(c.latency_s for c in calls))
        print(f"{role:<17} {len(calls):>5} {shares[role]:>7.2f} {tokens_per_s:>7.1f} "
              f"{statistics.median(c.latency_s for c in calls):>6.2f}")
    print(f"({TAU2_USER}: the same episodes with τ²'s own user prompt, which a run does not give this model; not in the mean)")

    if not args.skip_replay:
        user, agent = recorder.calls["user"], recorder.calls["agent"]
        episode = [(role, calls[k][0]) for k in range(min(2, len(user), len(agent)))
                   for role, calls in (("user", user), ("agent", agent))]
        shared, per_role = _replay(episode, shared=True), _replay(episode, shared=False)
        print(f"one episode's {len(episode)} user/agent prompts: shared context {shared:.2f} s, "
              f"a context per role {per_role:.2f} s (shared / per role = {shared / per_role:.2f})")
    print("(SmolLM2-135M figures; the machine was shared with other work)")
    print(f"RESULT real_model_usable_share {sum(shares[role] for role in ROLES) / len(ROLES):.3f}")


if __name__ == "__main__":
    main()
