"""Evolution: the Pareto archive, islands and parent selection, applying mutations, mutator prompts.

The pure policy parts are re-exported here; the engine and executors import Ray and stay in their
own modules.
"""

from evopersona.evolve.archive import (
    FrontSummary,
    ProgramRecord,
    Ranked,
    crowding_distance,
    hypervolume,
    pareto_front,
    pareto_ranks,
    rank_programs,
    summarise,
)
from evopersona.evolve.diff import (
    ChildChecks,
    MutationRejected,
    MutationResult,
    NearDuplicateIndex,
    SearchReplace,
    apply_blocks,
    apply_mutation,
    parse_blocks,
)
from evopersona.evolve.islands import Islands, Migration
from evopersona.evolve.mutation_prompt import (
    MUTATION_ANGLES,
    MutationPrompt,
    PromptProgram,
    build_mutation_prompt,
)

__all__ = [
    "MUTATION_ANGLES",
    "ChildChecks",
    "FrontSummary",
    "Islands",
    "Migration",
    "MutationPrompt",
    "MutationRejected",
    "MutationResult",
    "NearDuplicateIndex",
    "ProgramRecord",
    "PromptProgram",
    "Ranked",
    "SearchReplace",
    "apply_blocks",
    "apply_mutation",
    "build_mutation_prompt",
    "crowding_distance",
    "hypervolume",
    "pareto_front",
    "pareto_ranks",
    "parse_blocks",
    "rank_programs",
    "summarise",
]
