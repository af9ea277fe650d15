"""evopersona: evolve realistic user personas for evaluating LLM agents.

Importing the package stays cheap: heavy dependencies (ray, litellm, scikit-learn) are imported
only by the modules that need them.
"""

import os

# litellm fetches its cost map over the network at import unless told otherwise; we never want that.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
