"""Run every bench script in bench/ one after the other and print a table of their RESULT lines.

Scripts are found by listing bench/*.py (all but this one), so a new bench joins without an edit
here. Each runs in its own process with a timeout; its full output goes to a log folder, and the
table shows the RESULT line(s) it ended with, its exit status and how long it took. The machine's
cores and load average are printed with the table, since every figure depends on them.

    python bench/all.py                      # everything (about an hour on 2 loaded cores)
    python bench/all.py --fast               # without the slow ones (evolve, search, driver, real_model)
    python bench/all.py --only sandbox fitness --timeout 600
    python bench/all.py --json               # one JSON document on stdout, progress on stderr
Exit status 0 when every script that ran ended with exit 0 and a RESULT line, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

BENCH_DIR = Path(__file__).resolve().parent
SLOW = {"evolve", "search", "driver", "real_model"}


class Result(BaseModel):
    name: str
    value: str


class ScriptRun(BaseModel):
    script: str
    status: str  # ok, failed (exit code), no_result, timeout, skipped
    seconds: float
    results: list[Result]
    log: str | None


def discover() -> list[str]:
    """Bench script names (file stems), sorted; this file is not one."""
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))


def run_script(name: str, timeout_s: float, logs: Path) -> ScriptRun:
    log = logs / f"{name}.log"
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        # its own process group, so a timeout also stops what it started (sandbox workers, Ray)
        child = subprocess.Popen([sys.executable, str(BENCH_DIR / f"{name}.py")], cwd=BENCH_DIR.parent,
                                 stdout=subprocess.PIPE, stderr=out, text=True, start_new_session=True)
        try:
            stdout, _ = child.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                stdout, _ = child.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                stdout, _ = child.communicate()
            out.write(stdout)
            return ScriptRun(script=name, status="timeout", seconds=time.perf_counter() - start, results=[], log=str(log))
        out.write(stdout)
    results = [Result(name=parts[1], value=parts[2]) for line in stdout.splitlines()
               if len(parts := line.split()) >= 3 and parts[0] == "RESULT"]
    status = "ok" if child.returncode == 0 and results else (f"failed ({child.returncode})" if child.returncode else "no_result")
    return ScriptRun(script=name, status=status, seconds=time.perf_counter() - start, results=results, log=str(log))


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)"


def table(runs: list[ScriptRun]) -> str:
    rows = [("script", "status", "time", "RESULT", "value")]
    for run in runs:
        results = run.results or [Result(name="-", value="-")]
        for i, result in enumerate(results):
            first = i == 0
            rows.append((run.script if first else "", run.status if first else "",
                         f"{run.seconds:.0f} s" if first and run.status != "skipped" else "", result.name, result.value))
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (names without .py)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="do not run these scripts")
    parser.add_argument("--fast", action="store_true", help=f"skip the slow scripts ({', '.join(sorted(SLOW))})")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per script (default 1800)")
    parser.add_argument("--logs", type=Path, default=None, help="folder for each script's output (default: a new temp folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of the table")
    args = parser.parse_args()

    names = discover()
    unknown = sorted((set(args.only or []) | set(args.skip)) - set(names))
    if unknown:
        print(f"unknown bench script(s): {', '.join(unknown)}; found: {', '.join(names)}", file=sys.stderr)
        return 2
    skipped = set(args.skip) | (SLOW if args.fast else set())
    wanted = [n for n in names if (args.only is None or n in args.only)]
    logs = args.logs or Path(tempfile.mkdtemp(prefix="bench-all-"))
    logs.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; logs in {logs}", file=sys.stderr)

    runs: list[ScriptRun] = []
    for name in wanted:
        if name in skipped:
            runs.append(ScriptRun(script=name, status="skipped", seconds=0.0, results=[], log=None))
            continue
        print(f"running bench/{name}.py (timeout {args.timeout:.0f} s) ...", file=sys.stderr, flush=True)
        run = run_script(name, args.timeout, logs)
        print(f"  {run.status} in {run.seconds:.0f} s: " + (", ".join(f"{r.name} {r.value}" for r in run.results) or "no RESULT"),
              file=sys.stderr, flush=True)
        runs.append(run)

    if args.json:
        print(json.dumps({"machine": machine(), "logs": str(logs), "scripts": [r.model_dump() for r in runs]}, indent=2))
    else:
        print(table(runs))
        print(f"\nmachine at the end: {machine()}; each script's output: {logs}")
    ran = [r for r in runs if r.status != "skipped"]
    return 0 if all(r.status == "ok" for r in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
