"""An evolution engine run inline on a real SQLite store, for tests that drive `EvolutionEngine` directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from evopersona.config import RunConfig
from evopersona.evolve.engine import EvolutionEngine
from evopersona.llm.gateway import Gateway
from evopersona.store.store import Store
from evopersona.tasks import Task

RunEngine = Callable[[RunConfig, Any, list[Task]], tuple[EvolutionEngine, Store, Any]]


@pytest.fixture
def run_engine() -> Iterator[RunEngine]:
    """Bootstrap and run an engine to its stop; its store and gateway are closed after the test."""
    opened: list[Store | Gateway] = []

    def run(config: RunConfig, executor: Any, tasks: list[Task]) -> tuple[EvolutionEngine, Store, Any]:
        config.run_dir().mkdir(parents=True)
        store = Store(config.storage_url())
        gateway = Gateway(config.llm)
        opened.extend([gateway, store])
        engine = EvolutionEngine(config, store, executor, gateway, tasks, config.runs_dir)
        engine.bootstrap()
        return engine, store, asyncio.run(engine.run())

    yield run
    for resource in opened:
        resource.close()
