"""What a worker reported about its confinement, the refusal when a required layer is off, and the
one line per process that says which layers are on."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel, ConfigDict

from evopersona.errors import WorkFailed

ALL_LAYERS = ("gate", "network_namespace", "filesystem", "user_namespace", "privilege_drop", "seccomp", "rlimits")


class LayerReport(BaseModel):
    """`evopersona sandbox check --json`: each layer and whether it is on, for this machine and user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str
    layers: dict[str, bool]
    problems: dict[str, str]
    missing: list[str]

    @classmethod
    def from_ready(cls, user: str, ready: dict[str, Any], required: list[str]) -> LayerReport:
        layers = {"gate": True, **{k: bool(v) for k, v in ready["layers"].items()}}
        missing = [layer for layer in required if not layers[layer]]
        return cls(user=user, layers={k: layers[k] for k in ALL_LAYERS},
                   problems={k: str(v) for k, v in ready["problems"].items()}, missing=missing)

    def summary(self) -> str:
        on = [k for k, v in self.layers.items() if v]
        off = [k for k, v in self.layers.items() if not v]
        return f"sandbox layers on for user '{self.user}': {', '.join(on)}; off: {', '.join(off) or 'none'}"


class SandboxUnavailable(WorkFailed):
    """A required OS layer is off on this machine: no generated code runs (exit code 1)."""

    def __init__(self, report: LayerReport) -> None:
        self.report = report
        layer = report.missing[0]
        names = ", ".join(f'"{m}"' for m in report.missing)
        super().__init__(f"sandbox layer '{layer}' is unavailable here ({report.problems.get(layer, 'off')}); "
                         f"generated code does not run without it - to accept weaker confinement set "
                         f"sandbox.allow_weaker = [{names}]")


_announced: set[str] = set()


def announce(report: LayerReport) -> None:
    """Print the active layers once per process (stderr, so --json output stays clean)."""
    line = report.summary()
    if line not in _announced:
        _announced.add(line)
        print(f"evopersona: {line}", file=sys.stderr, flush=True)
