"""`evopersona report`: a self-contained HTML report of a run (plots as inline SVG)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

from evopersona.api import open_run
from evopersona.report.data import ReportData, collect
from evopersona.report.page import render

__all__ = ["ReportData", "ReportWritten", "build_report", "write_report"]


class ReportWritten(BaseModel):
    run: str
    out: str
    bytes: int
    sections: int


def build_report(run_dir: Path | str) -> tuple[str, int]:
    """The HTML text of a run's report and its number of sections."""
    with open_run(run_dir) as run:
        return render(collect(run.opened))


def write_report(run_dir: Path | str, out: Path) -> ReportWritten:
    html, sections = build_report(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return ReportWritten(run=Path(run_dir).name, out=str(out), bytes=len(html.encode("utf-8")), sections=sections)
