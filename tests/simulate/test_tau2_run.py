"""The run-backed τ² user simulator: registered in τ²'s registry, driven by τ²'s own runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evopersona.errors import InputError
from evopersona.generator import PersonaRecord
from evopersona.simulate.persona_block import PERSONA_HEADER
from evopersona.simulate.tau2_adapter import registry
from evopersona.simulate.tau2_run import Tau2Simulation, by_axis, by_placement
from evopersona.simulate.tau2_user import (
    USER_NAME,
    PersonaPool,
    RunPersonaUser,
    active_pool,
)


def _persona(pid: str, policy: str, **axes: bool) -> PersonaRecord:
    return PersonaRecord(persona_id=pid, description=pid, axis_placement=axes, policy=policy)


def test_user_is_registered_and_plays_one_persona_per_task_and_seed() -> None:
    assert registry.get_user_constructor(USER_NAME) is RunPersonaUser
    personas = [_persona("a", "Writes in terse lowercase fragments.", terse=True),
                _persona("b", "Doubts every answer and asks why.", terse=False)]
    pool = PersonaPool({"7": personas}, {"Instructions: return a lamp": "7"})
    with active_pool(pool):
        first = RunPersonaUser(instructions="Instructions: return a lamp", llm="offline/user")
        first.set_seed(11)
        prompt = first.system_prompt
        assert prompt.index("<scenario>") < prompt.index(PERSONA_HEADER) and "terse lowercase" in prompt
        again = RunPersonaUser(instructions="Instructions: return a lamp", llm="offline/user")
        again.set_seed(11)
        assert "terse lowercase" in again.system_prompt, "the same episode keeps its persona"
        second = RunPersonaUser(instructions="Instructions: return a lamp", llm="offline/user")
        second.set_seed(12)
        assert "Doubts every answer" in second.system_prompt
        third = RunPersonaUser(instructions="Instructions: return a lamp", llm="offline/user")
        third.set_seed(13)
        with pytest.raises(InputError, match="more episodes"):
            _ = third.system_prompt
        with pytest.raises(InputError, match="not built for"):
            RunPersonaUser(instructions="another task", llm="offline/user")
    assert pool.assigned("7", 12) == personas[1]
    with pytest.raises(RuntimeError, match="active persona pool"):
        RunPersonaUser(instructions="Instructions: return a lamp", llm="offline/user")


def test_reward_per_axis_placement() -> None:
    def sim(reward: float, **axes: bool) -> Tau2Simulation:
        return Tau2Simulation(simulation_id="s", task_id="1", trial=0, seed=1, persona_id="p", axis_placement=axes,
                              reward=reward, turns=4, termination_reason="user_stop")

    sims = [sim(1.0, terse=True, vague=False), sim(0.0, terse=True, vague=False), sim(1.0, terse=False, vague=True)]
    placements = {tuple(p.active_axes): (p.simulations, p.mean_reward) for p in by_placement(sims)}
    assert placements == {("terse",): (2, 0.5), ("vague",): (1, 1.0)}
    axes = {a.axis: a for a in by_axis(sims)}
    assert (axes["terse"].on_mean_reward, axes["terse"].off_mean_reward) == (0.5, 1.0)
    assert (axes["vague"].on_simulations, axes["vague"].off_simulations) == (1, 2)


def test_tau2_run_cli_uses_tau2_runner_and_writes_files_tau2_reads(results_run: Path, tmp_path: Path, cli) -> None:
    from tau2.data_model.simulation import Results
    from tau2.scripts.evaluate_trajectories import compute_simulation_rewards

    out = tmp_path / "tau2"
    done = cli("tau2", "run", str(results_run), "--domain", "retail", "--split", "test", "--max-tasks", "1",
               "--per-task", "2", "--max-steps", "40", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    sims = summary["simulations"]
    assert len(sims) == 2 and summary["tasks"] == 1 and summary["user_model"] == "offline/user"
    assert len({s["persona_id"] for s in sims}) == 2, "each trial of a task meets its own persona"
    for s in sims:
        assert 0.0 <= s["reward"] <= 1.0 and s["turns"] >= 2 and s["axis_placement"]
    assert summary["by_placement"] and summary["by_axis"]

    results = Results.load(Path(summary["results_file"]))
    assert results.info.user_info.implementation == USER_NAME
    assert {s.id for s in results.simulations} == {s["simulation_id"] for s in sims}
    rescored = compute_simulation_rewards(results)
    ours = {s["simulation_id"]: s["reward"] for s in sims}
    assert {s.id: s.reward_info.reward for s in rescored.simulations} == ours

    rows = [json.loads(line) for line in Path(summary["personas_file"]).read_text(encoding="utf-8").splitlines()]
    assert not summary["personas_file"].endswith(".json"), "τ²'s viewer lists every *.json as a simulation file"
    assert {r["simulation_id"]: r["persona_id"] for r in rows} == {s["simulation_id"]: s["persona_id"] for s in sims}
    assert all(PERSONA_HEADER in r["prompt_block"] for r in rows)

    bad = cli("tau2", "run", str(results_run), "--split", "nope", "--out", str(out))
    assert bad.returncode == 2 and "split" in bad.stderr
