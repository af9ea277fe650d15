"""Benchmark tasks: the scenarios personas are generated for.

Two formats load into one `Task` model: τ²-bench's `tasks.json` + `split_tasks.json` (bundled for
retail, airline and telecom) and a generic JSONL file, one task per line, for any other benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evopersona.errors import InputError
from evopersona.resources import TAU2_DIR, tau2_domain_dir

TAU2_DOMAINS = ("retail", "airline", "telecom")


class Task(BaseModel):
    """One user scenario: what the simulated user wants and knows (never changed by a persona)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    reason_for_call: str = Field(min_length=1)
    known_info: str | None = None
    unknown_info: str | None = None
    task_instructions: str | None = None
    persona: str | None = None
    split: str | None = None
    source: dict[str, Any] | None = Field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.domain}/{self.id}"

    def scenario_text(self) -> str:
        """The scenario as τ²-bench renders `str(user_scenario)` for its user simulator."""
        lines: list[str] = []
        if self.persona:
            lines += ["Persona:", f"\t{self.persona}"]
        lines.append("Instructions:")
        lines.append(f"\tDomain: {self.domain}")
        lines.append(f"\tReason for call:\n\t\t{self.reason_for_call}")
        if self.known_info:
            lines.append(f"\tKnown info:\n\t\t{self.known_info}")
        if self.unknown_info:
            lines.append(f"\tUnknown info:\n\t\t{self.unknown_info}")
        if self.task_instructions:
            lines.append(f"\tTask instructions:\n\t\t{self.task_instructions}")
        return "\n".join(lines)

    def generator_view(self) -> dict[str, str]:
        """The plain dict a generator program receives as `task` (no source, no private fields)."""
        return {
            "id": self.id,
            "domain": self.domain,
            "reason_for_call": self.reason_for_call,
            "known_info": self.known_info or "",
            "unknown_info": self.unknown_info or "",
            "task_instructions": self.task_instructions or "",
            "scenario": self.scenario_text(),
        }


class _Tau2Instructions(BaseModel):
    model_config = ConfigDict(extra="allow")
    domain: str
    reason_for_call: str
    known_info: str | None = None
    unknown_info: str | None = None
    task_instructions: str | None = None


class _Tau2Scenario(BaseModel):
    model_config = ConfigDict(extra="allow")
    persona: str | None = None
    instructions: _Tau2Instructions | str


class _Tau2Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    user_scenario: _Tau2Scenario


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return f"field '{where}': {first['msg']}"


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _task_from_tau2(raw: dict[str, Any], path: Path, index: int, split_of: dict[str, str]) -> Task:
    try:
        parsed = _Tau2Task.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: task #{index}: {_describe(exc)}") from None
    instr = parsed.user_scenario.instructions
    if isinstance(instr, str):
        instr = _Tau2Instructions(domain=raw.get("domain", "unknown"), reason_for_call=instr)
    try:
        return Task(
            id=parsed.id,
            domain=instr.domain,
            reason_for_call=instr.reason_for_call,
            known_info=instr.known_info,
            unknown_info=instr.unknown_info,
            task_instructions=instr.task_instructions,
            persona=parsed.user_scenario.persona,
            split=split_of.get(parsed.id),
            source=raw,
        )
    except ValidationError as exc:
        raise InputError(f"{path}: task '{parsed.id}': {_describe(exc)}") from None


def load_tau2_file(tasks_path: Path, split_path: Path | None = None) -> list[Task]:
    """Load a τ²-bench `tasks.json`, tagging each task with its train/test split when known."""
    data = _read_json(tasks_path)
    if not isinstance(data, list):
        raise InputError(f"{tasks_path}: expected a JSON list of tasks, got {type(data).__name__}")
    split_of: dict[str, str] = {}
    if split_path is not None:
        splits = _read_json(split_path)
        if not isinstance(splits, dict) or not all(isinstance(v, list) for v in splits.values()):
            raise InputError(f"{split_path}: expected an object mapping split name to a list of task ids")
        for name in ("train", "test"):
            for task_id in splits.get(name, []):
                split_of[str(task_id)] = name
    return [_task_from_tau2(raw, tasks_path, i, split_of) for i, raw in enumerate(data)]


def load_jsonl_tasks(path: Path) -> list[Task]:
    """Load the generic format: one JSON object per line with `Task`'s fields (no `source`)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    tasks: list[Task] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InputError(f"{path}: line {lineno}: expected a JSON object")
        raw.pop("source", None)
        try:
            tasks.append(Task.model_validate(raw))
        except ValidationError as exc:
            raise InputError(f"{path}: line {lineno}: {_describe(exc)}") from None
    if not tasks:
        raise InputError(f"{path}: no tasks in file")
    ids = [t.id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{path}: task id '{dup}' appears more than once")
    return tasks


def load_domain(domain: str) -> list[Task]:
    """All bundled τ² tasks of a domain, with their official split."""
    if domain not in TAU2_DOMAINS:
        raise InputError(f"unknown domain '{domain}': choose one of {', '.join(TAU2_DOMAINS)}")
    folder = tau2_domain_dir(domain)
    return load_tau2_file(folder / "tasks.json", folder / "split_tasks.json")


def load_tasks(source: str, split: str | None = None) -> list[Task]:
    """Tasks from a bundled domain name or a file path (`.json` τ² format or `.jsonl` generic)."""
    if source in TAU2_DOMAINS:
        tasks = load_domain(source)
    else:
        path = Path(source)
        if path.suffix == ".jsonl":
            tasks = load_jsonl_tasks(path)
        elif path.suffix == ".json":
            split_path = path.with_name("split_tasks.json")
            tasks = load_tau2_file(path, split_path if split_path.is_file() else None)
        else:
            raise InputError(
                f"task source '{source}': expected a domain ({', '.join(TAU2_DOMAINS)}), "
                "a τ² tasks .json file or a .jsonl file"
            )
    return filter_split(tasks, split, source)


def filter_split(tasks: list[Task], split: str | None, source: str = "tasks") -> list[Task]:
    if split in (None, "all"):
        return tasks
    if split not in ("train", "test"):
        raise InputError(f"unknown split '{split}': choose train, test or all")
    chosen = [t for t in tasks if t.split == split]
    if not chosen:
        raise InputError(f"{source}: no task is in the '{split}' split")
    return chosen


def pick_task(tasks: list[Task], task_id: str) -> Task:
    for task in tasks:
        if task.id == task_id:
            return task
    sample = ", ".join(t.id for t in tasks[:8])
    raise InputError(f"no task with id '{task_id}' (ids look like: {sample}, ...)")


def bundled_domains() -> list[str]:
    return [d for d in TAU2_DOMAINS if (TAU2_DIR / d / "tasks.json").is_file()]
