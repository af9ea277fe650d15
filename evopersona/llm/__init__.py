"""The LLM gateway: every model call of a run goes through here (see docs/contracts.md "LLM gateway").

litellm fetches its model cost map from the internet at import unless told to use the copy it
ships; runs must not depend on the network for that, so the package sets the switch before any
submodule (the gateway or the offline provider) imports litellm.
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
