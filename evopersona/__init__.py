"""evopersona: evolve realistic user personas for evaluating LLM agents.

Importing the package stays cheap: heavy dependencies (ray, litellm, scikit-learn, sqlalchemy) are
imported only by the modules that need them. The Python API (`open_run`, `persona_prompt_block`,
...) lives in `evopersona.api` and is loaded on first access to one of its names.
"""

import os
from typing import Any

# litellm fetches its cost map over the network at import unless told otherwise; we never want that.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"

_API_NAMES = frozenset({"open_run", "Run", "ProgramInfo", "NotFound", "persona_prompt_block", "sample_program"})


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from evopersona import api

        return getattr(api, name)
    raise AttributeError(f"module 'evopersona' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API_NAMES])
