"""Who becomes a parent: the full search or one of its two cheaper baselines.

`evolution` selects on the islands (front, exploration, fitness-weighted) with inspirations;
`best_of_n` mutates only the seed programs (N independent children, no selection); `random` mutates
a program drawn uniformly from everything evaluated so far (a random walk over mutations, no
selection). The baselines show no inspirations: they carry no information from selection.
"""

from __future__ import annotations

import random

from evopersona.config import SearchConfig
from evopersona.evolve.archive import ProgramRecord
from evopersona.evolve.islands import Islands


class ParentPolicy:
    """Parent and inspirations for the next child under `config.strategy`."""

    def __init__(self, config: SearchConfig, islands: Islands, seed: int) -> None:
        self.strategy = config.strategy
        self.islands = islands
        self.rng = random.Random(seed + 7919)
        self.seed_ids: set[int] = set()

    def choose(self, island: int) -> tuple[ProgramRecord, list[ProgramRecord]]:
        """Raises ValueError when no evaluated program qualifies yet."""
        if self.strategy == "evolution":
            parent = self.islands.select_parent(island)
            return parent, self.islands.inspirations(parent, island)
        records = sorted(self.islands.records.values(), key=lambda r: r.program_id)
        if self.strategy == "best_of_n":
            records = [r for r in records if r.program_id in self.seed_ids]
        if not records:
            raise ValueError("no evaluated program to mutate")
        return self.rng.choice(records), []
