"""The tasks a run evolves on: the configured source and split, optionally by id, capped."""

from __future__ import annotations

from evopersona.config import RunConfig
from evopersona.errors import InputError
from evopersona.tasks import Task, load_tasks, pick_task


def select_tasks(config: RunConfig) -> list[Task]:
    tasks = load_tasks(config.tasks.source, config.tasks.split)
    if config.tasks.ids:
        tasks = [pick_task(tasks, task_id) for task_id in config.tasks.ids]
    if config.tasks.max_tasks is not None:
        tasks = tasks[: config.tasks.max_tasks]
    if not tasks:
        raise InputError(f"no tasks selected from {config.tasks.source} ({config.tasks.split})")
    return tasks
