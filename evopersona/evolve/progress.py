"""The live view of an evolution run on stderr: progress bar plus the numbers that matter."""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evopersona.evolve.engine import EngineStats


class ProgressDisplay:
    """Renders `EngineStats` live; a no-op when stderr is not a terminal except for periodic lines."""

    def __init__(self, console: Console, total: int, already_done: int = 0) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]evaluations"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        )
        self.task = self.progress.add_task("evolve", total=total, completed=already_done)
        self.live = Live(console=console, refresh_per_second=4, transient=False)
        self._last_plain = 0.0
        self._last_finished = -1

    def __enter__(self) -> ProgressDisplay:
        if self.console.is_terminal:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.console.is_terminal:
            self.live.__exit__(None, None, None)

    def update(self, stats: EngineStats) -> None:
        self.progress.update(self.task, completed=stats.finished)
        if self.console.is_terminal:
            self.live.update(Group(self.progress, self._table(stats)))
        elif stats.finished != self._last_finished or time.monotonic() - self._last_plain > 30:
            self._last_finished = stats.finished
            self._last_plain = time.monotonic()
            self.console.print(self._line(stats), highlight=False)

    @staticmethod
    def _best(stats: EngineStats) -> str:
        return "-" if stats.best_score is None else f"{stats.best_score:.3f}"

    def _line(self, stats: EngineStats) -> str:
        return (
            f"evaluations {stats.finished} (in flight {stats.in_flight}, failed {stats.failed}, "
            f"infeasible {stats.infeasible}) best {self._best(stats)} front {stats.front_size} "
            f"hv {stats.hypervolume:.4f} llm calls {stats.llm_calls} tokens {stats.tokens} "
            f"cost ${stats.cost_usd:.4f} rejected mutations {stats.rejected_mutations}"
        )

    def _table(self, stats: EngineStats) -> Table:
        table = Table(show_header=True, header_style="bold", box=None)
        for column in ("in flight", "best score", "front", "hypervolume", "LLM calls", "tokens", "cost", "failed", "infeasible", "rejected"):
            table.add_column(column, justify="right")
        table.add_row(
            str(stats.in_flight), self._best(stats), str(stats.front_size), f"{stats.hypervolume:.4f}",
            str(stats.llm_calls), str(stats.tokens), f"${stats.cost_usd:.4f}", str(stats.failed),
            str(stats.infeasible), str(stats.rejected_mutations),
        )
        return table
