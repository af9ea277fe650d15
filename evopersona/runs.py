"""A run on disk: `runs/<name>/` holds `config.json` (the validated configuration) and, by default,
the SQLite database. Opening a run is how `front`, `status`, `report`, `serve` and the Python API
read results, while an evolution may still be writing them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from evopersona.config import RunConfig, validate_config
from evopersona.errors import InputError
from evopersona.evolve.archive import ProgramRecord, rank_programs, summarise
from evopersona.store.models import Objectives
from evopersona.store.store import Store
from evopersona.store.tables import EvaluationRow, ProgramRow, RunRow

CONFIG_FILE = "config.json"


def save_run_config(config: RunConfig) -> Path:
    run_dir = config.run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG_FILE
    path.write_text(config.model_dump_json(indent=2), encoding="utf-8")
    return path


def read_run_config(run_dir: Path) -> RunConfig:
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise InputError(f"{run_dir}: not a run folder (no {CONFIG_FILE}); runs are created by `evopersona evolve`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg})") from None
    config = validate_config(data, str(path))
    # The folder may have been moved or the run opened from another working directory.
    return config.model_copy(update={"runs_dir": str(run_dir.resolve().parent)})


class FrontEntry(BaseModel):
    program_id: int
    island: int
    generation: int
    mutation_kind: str | None
    rank: int
    crowding: float
    objectives: Objectives


@dataclass
class OpenRun:
    config: RunConfig
    store: Store
    run: RunRow

    @property
    def run_dir(self) -> Path:
        return self.config.run_dir()

    def evaluated(self) -> list[tuple[ProgramRow, EvaluationRow]]:
        return self.store.finished_evaluations(self.run.id)

    def records(self) -> tuple[list[ProgramRecord], dict[int, ProgramRow]]:
        records: list[ProgramRecord] = []
        programs: dict[int, ProgramRow] = {}
        for program, evaluation in self.evaluated():
            if evaluation.objectives is None:
                continue
            objectives = Objectives.model_validate(evaluation.objectives)
            records.append(ProgramRecord.from_objectives(program.id, program.island, objectives))
            programs[program.id] = program
        return records, programs

    def front(self) -> list[FrontEntry]:
        """The feasible non-dominated programs, best score first."""
        records, programs = self.records()
        entries = [
            FrontEntry(
                program_id=r.record.program_id,
                island=r.record.island,
                generation=programs[r.record.program_id].generation,
                mutation_kind=programs[r.record.program_id].mutation_kind,
                rank=r.rank,
                crowding=r.crowding if r.crowding != float("inf") else 1e9,
                objectives=Objectives(
                    human_likeness=r.record.human_likeness,
                    coverage=r.record.coverage,
                    task_preservation=r.record.task_preservation,
                    score=r.record.score,
                    feasible=r.record.feasible,
                ),
            )
            for r in rank_programs(records)
            if r.rank == 0 and r.record.feasible
        ]
        return sorted(entries, key=lambda e: -e.objectives.score)

    def best_program(self) -> ProgramRow:
        front = self.front()
        if not front:
            raise InputError(f"{self.run_dir}: no feasible evaluated program yet")
        program = self.store.get_program(front[0].program_id)
        assert program is not None
        return program

    def summary(self) -> dict:
        records, _ = self.records()
        front = summarise(records)
        totals = self.store.llm_totals(self.run.id)
        return {
            "run": self.config.name,
            "path": str(self.run_dir),
            "status": self.run.status,
            "programs": len(self.store.list_programs(self.run.id)),
            "evaluations": self.store.status_counts(self.run.id),
            "first_failure": self.store.first_failure(self.run.id),
            "rejected_mutations": self.store.rejection_counts(self.run.id),
            "best_score": front.best_score,
            "best_program_id": front.best_program_id,
            "front_size": front.front_size,
            "hypervolume": front.hypervolume,
            "llm": totals.model_dump(),
        }


def open_run(run_dir: Path | str) -> OpenRun:
    """Open an existing run folder for reading (the database may be in use by an evolution)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError(f"{path}: run folder not found")
    config = read_run_config(path)
    store = Store(config.storage_url())
    run = store.get_run(config.name)
    if run is None:
        store.close()
        raise InputError(f"{path}: the database holds no run named '{config.name}'")
    return OpenRun(config=config, store=store, run=run)
