"""Start or resume an evolution run: configuration, run folder, reference, executor, engine, signals."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from evopersona.config import RunConfig, apply_overrides, load_config, validate_config
from evopersona.errors import InputError, WorkFailed, one_line
from evopersona.evaluation.reference import ensure_reference
from evopersona.evaluation.tasks import select_tasks
from evopersona.evolve.engine import EngineStats, EvolutionEngine
from evopersona.evolve.executor import WorkersLost, make_executor
from evopersona.evolve.progress import ProgressDisplay
from evopersona.llm.factory import make_gateway, remaining_budget
from evopersona.runs import CONFIG_FILE, open_run, read_run_config, save_run_config
from evopersona.store.store import Store
from evopersona.tasks import Task


class EvolveRequest(BaseModel):
    config_path: Path | None = None
    resume: Path | None = None
    fresh: bool = False
    overrides: list[str] = []


def resolve_config(request: EvolveRequest) -> RunConfig:
    """A new run's config from its TOML file, or a resumed run's saved config (plus overrides)."""
    if request.resume is not None:
        if request.config_path is not None:
            raise InputError("give either a config file or --resume RUN_DIR, not both")
        saved = read_run_config(request.resume)
        data = apply_overrides(saved.model_dump(mode="json"), request.overrides)
        return validate_config(data, str(request.resume / CONFIG_FILE))
    if request.config_path is None:
        raise InputError("give a run configuration (e.g. runs/quickstart.toml) or --resume RUN_DIR")
    config = load_config(request.config_path, request.overrides)
    if config.runs_dir == "runs" and request.config_path.parent.name == "runs":
        config = config.model_copy(update={"runs_dir": str(request.config_path.parent)})
    return config


def prepare_run_dir(config: RunConfig, request: EvolveRequest) -> None:
    run_dir = config.run_dir()
    exists = (run_dir / CONFIG_FILE).is_file()
    if request.resume is None and exists:
        if not request.fresh:
            raise InputError(
                f"{run_dir} already holds a run: continue it with `evopersona evolve --resume {run_dir}` "
                "or start over with --fresh"
            )
        shutil.rmtree(run_dir)
    save_run_config(config)


async def _drive(engine: EvolutionEngine, console: Console) -> EngineStats:
    """Run the engine; the first Ctrl-C lets in-flight work finish, the second cancels it."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    presses = 0

    def on_sigint() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            console.print("stopping: finishing in-flight evaluations (Ctrl-C again to cancel them)")
            engine.request_stop()
        elif main is not None:
            main.cancel()

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError):
        pass
    try:
        return await engine.run()
    finally:
        try:
            loop.remove_signal_handler(signal.SIGINT)
        except (NotImplementedError, RuntimeError):
            pass


def _with_remaining_budget(config: RunConfig, store: Store) -> RunConfig:
    """A resumed run may spend only what its budget has left (the saved config keeps the full budget)."""
    run = store.get_run(config.name)
    if run is None:
        return config
    totals = store.llm_totals(run.id)
    budget = remaining_budget(config.llm.budget, totals.cost_usd, totals.calls)
    return config.model_copy(update={"llm": config.llm.model_copy(update={"budget": budget})})


def _fail_if_nothing_succeeded(store: Store, run_id: int) -> None:
    """A run whose every evaluation failed is a failed run (exit 1), with the first failure's cause."""
    counts = store.status_counts(run_id)
    failed = counts.get("failed", 0)
    if failed and not counts.get("done") and not counts.get("infeasible"):
        cause = one_line(store.first_failure(run_id) or "no error recorded")
        raise WorkFailed(f"all {failed} evaluations failed; the first: {cause}")


def _evolve(config: RunConfig, store: Store, tasks: list[Task], console: Console) -> tuple[EngineStats, bool]:
    """Build the reference, run the engine to its stop; (stats, interrupted). Raises WorkFailed for a failed run."""
    executor = make_executor(config.ray)
    gateway = make_gateway(config)
    interrupted = False
    try:
        reference_dir = ensure_reference(config, gateway, console)
        engine = EvolutionEngine(config, store, executor, gateway, tasks, str(reference_dir))
        engine.bootstrap()
        with ProgressDisplay(console, config.search.max_evaluations, engine.stats.finished) as display:
            engine.on_update = display.update
            try:
                stats = asyncio.run(_drive(engine, console))
            except asyncio.CancelledError:
                interrupted = True
                stats = engine.stats
        store.set_run_status(engine.run_id, "interrupted" if stats.stop_reason in ("interrupted", "error") else "stopped")
        if isinstance(engine.fatal, WorkersLost):
            raise WorkFailed(
                f"the run lost its workers after {stats.finished} finished evaluations: {engine.fatal}; finished "
                f"evaluations are saved; continue with `evopersona evolve --resume {config.run_dir()}` once workers are back"
            )
        if engine.fatal is not None:
            log = config.run_dir() / "error.log"
            log.write_text("".join(traceback.format_exception(engine.fatal)), encoding="utf-8")
            raise WorkFailed(
                f"the run stopped on an internal error ({type(engine.fatal).__name__}: {engine.fatal}); finished "
                f"evaluations are saved, details in {log}; continue with `evopersona evolve --resume {config.run_dir()}`"
            )
        _fail_if_nothing_succeeded(store, engine.run_id)
    finally:
        gateway.close()
        executor.shutdown()
    return stats, interrupted


def run_evolution(request: EvolveRequest, console: Console) -> dict[str, Any]:
    """Run (or resume) an evolution to a stop condition; return the summary with the front."""
    config = resolve_config(request)
    prepare_run_dir(config, request)
    tasks = select_tasks(config)
    console.print(f"run {config.name}: {len(tasks)} {config.tasks.source} tasks ({config.tasks.split}), folder {config.run_dir()}")
    store = Store(config.storage_url())
    config = _with_remaining_budget(config, store)
    # Ray's driver prints raylet messages (task retries, dead workers) on stdout from a thread of its
    # own; stdout belongs to the `--json` document, so during the run it goes to stderr.
    try:
        with contextlib.redirect_stdout(sys.stderr):
            stats, interrupted = _evolve(config, store, tasks, console)
    finally:
        store.close()
    opened = open_run(config.run_dir())
    try:
        summary = opened.summary()
        summary["front"] = [e.model_dump(mode="json") for e in opened.front()]
    finally:
        opened.store.close()
    summary.update(
        stop_reason="interrupted" if interrupted else stats.stop_reason,
        evaluations=stats.finished,
        cost_usd=stats.cost_usd,
        resume_with=f"evopersona evolve --resume {config.run_dir()}",
    )
    return summary
