"""The Python API for using a run's results: open it, read its Pareto front, pick a program, sample
personas for a task in the sandbox, and wrap a policy into the block a user simulator takes.

    import evopersona
    with evopersona.open_run("runs/quickstart") as run:
        program = run.program()                      # the front's best (or run.program(12))
        personas = run.sample("5", n=3, seed=0)      # task id in the run's task source
        block = evopersona.persona_prompt_block(personas[0].policy)

The HTTP service, the exporters and the report are built on the same calls, so all of them agree.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from evopersona.config import LLMConfig, RunConfig, SandboxConfig
from evopersona.errors import InputError
from evopersona.generator import PersonaRecord
from evopersona.runs import FrontEntry, OpenRun
from evopersona.runs import open_run as _open_stored_run
from evopersona.sandbox.pool import SandboxPool
from evopersona.simulate.persona_block import wrap_policy
from evopersona.store.models import Objectives
from evopersona.store.tables import EvaluationRow, ProgramRow
from evopersona.tasks import Task, load_tasks

__all__ = [
    "LineageStep", "NotFound", "ProgramInfo", "Run", "open_run", "persona_prompt_block",
    "program_info", "sample_program",
]


class NotFound(InputError):
    """A run, program or task that does not exist (HTTP 404, exit code 2)."""


class LineageStep(BaseModel):
    program_id: int
    generation: int
    mutation_kind: str | None
    score: float | None


class ProgramInfo(BaseModel):
    """One program of a run as users see it: code, outcome, ancestry and the mutator's feedback."""

    id: int
    run: str
    island: int
    generation: int
    mutation_kind: str | None
    seed_name: str | None
    parent_ids: list[int]
    status: str | None
    objectives: Objectives | None
    reflection: str | None
    error: str | None
    lineage: list[LineageStep]
    code: str

    @property
    def is_seed(self) -> bool:
        return self.mutation_kind == "seed"


def persona_prompt_block(policy: str) -> str:
    """The fixed "how, not what" block to append to a user simulator's system prompt for `policy`."""
    return wrap_policy(policy)


def _objectives(evaluation: EvaluationRow | None) -> Objectives | None:
    if evaluation is None or evaluation.objectives is None:
        return None
    return Objectives.model_validate(evaluation.objectives)


def program_info(opened: OpenRun, program_id: int) -> ProgramInfo:
    """The program `program_id` of this run with its latest evaluation and lineage; NotFound otherwise."""
    program = opened.store.get_program(program_id)
    if program is None or program.run_id != opened.run.id:
        raise NotFound(f"run '{opened.config.name}' has no program {program_id}")
    evaluation = opened.store.get_evaluation_for_program(program_id)
    lineage = []
    for ancestor in opened.store.lineage(program_id):
        assert ancestor.id is not None
        ancestor_objectives = _objectives(opened.store.get_evaluation_for_program(ancestor.id))
        lineage.append(LineageStep(program_id=ancestor.id, generation=ancestor.generation,
                                   mutation_kind=ancestor.mutation_kind,
                                   score=ancestor_objectives.score if ancestor_objectives else None))
    return ProgramInfo(
        id=program_id, run=opened.config.name, island=program.island, generation=program.generation,
        mutation_kind=program.mutation_kind,
        seed_name=program.model if program.mutation_kind == "seed" else None,
        parent_ids=list(program.parent_ids), status=evaluation.status if evaluation else None,
        objectives=_objectives(evaluation), reflection=evaluation.reflection if evaluation else None,
        error=evaluation.error if evaluation else None, lineage=lineage, code=program.code,
    )


def _lazy_handler(llm_config: LLMConfig, cache_dir: Path | None) -> Any:
    from evopersona.sampling import lazy_gateway_handler

    return lazy_gateway_handler(llm_config, cache_dir)


def run_cache_dir(config: RunConfig) -> Path:
    """The run's LLM cache folder (the same one the evolution used)."""
    return Path(config.llm.cache_dir) if config.llm.cache_dir else config.run_dir() / "llm-cache"


def sample_program(code: str, task: Task, n: int, seed: int, *, llm_config: LLMConfig,
                   cache_dir: Path | None = None, pool: SandboxPool | None = None,
                   sandbox_config: SandboxConfig | None = None) -> list[PersonaRecord]:
    """Run `generate(task, n, llm, rng)` of program source `code` in the sandbox; validated records.

    A fresh gateway handler per call keeps concurrent callers (service threads) on separate event
    loops; it is built only if the program calls the LLM. Raises ProgramFailed when the program fails.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}")
    handler = _lazy_handler(llm_config, cache_dir)
    if pool is not None:
        return pool.run(code, task.generator_view(), n, seed, handler=handler).records
    config = (sandbox_config or SandboxConfig()).model_copy(update={"pool_size": 1})
    with SandboxPool(config) as own_pool:
        return own_pool.run(code, task.generator_view(), n, seed, handler=handler).records


def find_task(tasks: list[Task], task_id: str, source: str) -> Task:
    for task in tasks:
        if task.id == task_id:
            return task
    sample = ", ".join(t.id for t in tasks[:8])
    raise NotFound(f"{source}: no task with id '{task_id}' (ids look like: {sample}, ...)")


class Run:
    """An open run: read its results and sample personas from its programs. Close it (or use `with`)."""

    def __init__(self, opened: OpenRun) -> None:
        self.opened = opened

    @property
    def name(self) -> str:
        return self.opened.config.name

    @property
    def path(self) -> Path:
        return self.opened.run_dir

    @property
    def config(self) -> RunConfig:
        return self.opened.config

    def summary(self) -> dict[str, Any]:
        """Status, evaluation counts, best score, front size, hypervolume and LLM usage."""
        return self.opened.summary()

    def front(self) -> list[FrontEntry]:
        """The feasible non-dominated programs, best score first."""
        return self.opened.front()

    def program(self, program_id: int | None = None) -> ProgramInfo:
        """A program by id, or the front's best when `program_id` is None."""
        if program_id is None:
            best: ProgramRow = self.opened.best_program()
            assert best.id is not None
            program_id = best.id
        return program_info(self.opened, program_id)

    def tasks(self, source: str | None = None, split: str | None = None) -> list[Task]:
        """Tasks of `source` (a τ² domain or a tasks file; default: the run's own task source)."""
        return load_tasks(source or self.config.tasks.source, split)

    def task(self, task_id: str, source: str | None = None) -> Task:
        chosen = source or self.config.tasks.source
        return find_task(self.tasks(chosen), task_id, chosen)

    def sample(self, task: Task | str, n: int = 5, *, seed: int = 0, program_id: int | None = None,
               source: str | None = None, pool: SandboxPool | None = None) -> list[PersonaRecord]:
        """Personas for `task` (a Task or a task id in `source`) from a program (default: the best)."""
        chosen = task if isinstance(task, Task) else self.task(task, source)
        program = self.program(program_id)
        return sample_program(program.code, chosen, n, seed, llm_config=self.config.llm,
                              cache_dir=run_cache_dir(self.config), pool=pool,
                              sandbox_config=self.config.sandbox)

    def close(self) -> None:
        self.opened.store.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_run(run_dir: Path | str) -> Run:
    """Open a run folder (`runs/<name>`) for reading; an evolution may still be writing to it."""
    path = Path(run_dir)
    if not path.is_dir():
        raise NotFound(f"{path}: run folder not found")
    return Run(_open_stored_run(path))
