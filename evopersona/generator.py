"""The generator-program contract: what a program must expose and what its output must look like.

A program's output crosses the sandbox boundary as plain JSON; these checks run in the parent so a
program can never vouch for itself. Every failure names the exact rule that was broken, because the
reason is fed back to the mutator and shown to users.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from evopersona.errors import WorkFailed

ALLOWED_IMPORTS = frozenset(
    {
        "random", "math", "json", "re", "itertools", "collections", "string", "textwrap",
        "functools", "dataclasses", "typing", "statistics", "enum",
    }
)
AXIS_KEYS = ("name", "definition", "on", "off")


class ProgramFailed(WorkFailed):
    """A generator program could not produce valid personas; `kind` says which safeguard tripped."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


class ContractViolation(ProgramFailed):
    """The program ran but broke the contract (symbols, AXES shape, record count or fields)."""

    def __init__(self, reason: str) -> None:
        super().__init__("contract", reason)


class Axis(BaseModel):
    """One behaviour axis with its on/off playbooks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictStr = Field(min_length=1)
    definition: StrictStr = Field(min_length=1)
    on: StrictStr = Field(min_length=1)
    off: StrictStr = Field(min_length=1)


class PersonaRecord(BaseModel):
    """One persona: who they are, which axes are on, and the roleplay policy (how, never what)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    persona_id: StrictStr = Field(min_length=1)
    description: StrictStr = Field(min_length=1)
    axis_placement: dict[StrictStr, StrictBool]
    policy: StrictStr


_RECORDS = TypeAdapter(list[PersonaRecord])


class ProgramOutput(BaseModel):
    """A validated run of a program: its axes, whether it is the no-persona baseline, its records."""

    model_config = ConfigDict(frozen=True)

    axes: list[Axis]
    no_persona: bool
    records: list[PersonaRecord]


def _first_error(error: ValidationError) -> str:
    err = error.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"field '{where}': {err['msg']}" if where else err["msg"]


def validate_axes(raw: Any) -> list[Axis]:
    """AXES must be a list of {name, definition, on, off} string dicts with unique names."""
    if not isinstance(raw, list):
        raise ContractViolation(f"AXES must be a list of dicts, got {type(raw).__name__}")
    axes: list[Axis] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ContractViolation(f"AXES[{i}] must be a dict, got {type(item).__name__}")
        missing = [k for k in AXIS_KEYS if k not in item]
        if missing:
            raise ContractViolation(f"AXES[{i}] is missing key(s) {missing}; each axis needs {list(AXIS_KEYS)}")
        extra = sorted(set(item) - set(AXIS_KEYS))
        if extra:
            raise ContractViolation(f"AXES[{i}] has unknown key(s) {extra}; each axis has exactly {list(AXIS_KEYS)}")
        try:
            axes.append(Axis.model_validate(item))
        except ValidationError as exc:
            raise ContractViolation(f"AXES[{i}]: {_first_error(exc)}") from None
    names = [a.name for a in axes]
    dup = next((name for name in names if names.count(name) > 1), None)
    if dup is not None:
        raise ContractViolation(f"AXES: axis name '{dup}' appears more than once")
    return axes


def validate_records(raw: Any, n: int, *, no_persona: bool) -> list[PersonaRecord]:
    """generate() must return exactly n valid records with unique ids and (unless NO_PERSONA) policies."""
    if not isinstance(raw, list):
        raise ContractViolation(f"generate() returned {type(raw).__name__}, expected a list of {n} records")
    if len(raw) != n:
        raise ContractViolation(f"generate() returned {len(raw)} records, expected exactly {n}")
    try:
        records = _RECORDS.validate_python(raw)
    except ValidationError:
        records = [_validate_one(i, item) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, record in enumerate(records):
        if not record.persona_id.strip():
            raise ContractViolation(f"record {i}: persona_id is blank")
        if not record.description.strip():
            raise ContractViolation(f"record {i} ('{record.persona_id}'): description is blank")
        if not no_persona and not record.policy.strip():
            raise ContractViolation(
                f"record {i} ('{record.persona_id}'): policy is empty (only NO_PERSONA programs may omit it)"
            )
        if record.persona_id in seen:
            raise ContractViolation(f"record {i}: duplicate persona_id '{record.persona_id}'")
        seen.add(record.persona_id)
    return records


def _validate_one(i: int, item: Any) -> PersonaRecord:
    """The slow path, taken only when the batch is invalid: find the first bad record and say why."""
    if not isinstance(item, dict):
        raise ContractViolation(f"record {i} is {type(item).__name__}, expected a dict")
    try:
        return PersonaRecord.model_validate(item)
    except ValidationError as exc:
        raise ContractViolation(f"record {i}: {_first_error(exc)}") from None


_PERSONA_ID, _DESCRIPTION, _POLICY = attrgetter("persona_id"), attrgetter("description"), attrgetter("policy")


def _valid_at_once(axes: Any, no_persona: Any, records: Any, n: int) -> ProgramOutput | None:
    """The output if it breaks no rule, else None; the rule-by-rule checks then name the first broken one.

    One strict pydantic pass (strict: no coercion, so it accepts nothing those checks refuse) and the
    blank and duplicate checks as loops in C: about two thirds of their cost. Blanks are not a pattern
    in the schema because pydantic-core validates a model class with the class's own validator."""
    if not (isinstance(axes, list) and all(isinstance(item, dict) for item in axes)
            and isinstance(records, list) and len(records) == n):
        return None
    try:
        output = ProgramOutput.model_validate({"axes": axes, "no_persona": no_persona, "records": records},
                                              strict=True)
    except ValidationError:
        return None
    ids = list(map(_PERSONA_ID, output.records))
    if (len(set(ids)) == n and all(map(str.strip, ids)) and all(map(str.strip, map(_DESCRIPTION, output.records)))
            and (no_persona or all(map(str.strip, map(_POLICY, output.records))))
            and len({axis.name for axis in output.axes}) == len(output.axes)):
        return output
    return None


def validate_output(axes: Any, no_persona: Any, records: Any, n: int) -> ProgramOutput:
    """Check everything a program produced in one call against the contract."""
    output = _valid_at_once(axes, no_persona, records, n)
    if output is not None:
        return output
    if not isinstance(no_persona, bool):
        raise ContractViolation(f"NO_PERSONA must be True or False, got {type(no_persona).__name__}")
    checked_axes = validate_axes(axes)
    return ProgramOutput(axes=checked_axes, no_persona=no_persona, records=validate_records(records, n, no_persona=no_persona))
