"""Episode tests talk to the offline provider through the real gateway (every role → offline/<role>)."""

from __future__ import annotations

import pytest

from evopersona.config import LLMConfig
from evopersona.llm.gateway import Gateway


@pytest.fixture
def gateway(tmp_path) -> Gateway:
    return Gateway(LLMConfig(max_retries=0), cache_dir=tmp_path / "llm-cache")
