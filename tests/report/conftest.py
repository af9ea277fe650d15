"""The shared quickstart run (built once per session, see tests/service/results_run.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SUPPORT = Path(__file__).resolve().parents[1] / "service" / "results_run.py"


def _support():
    name = "evopersona_results_run"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _SUPPORT)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


@pytest.fixture(scope="session")
def results_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _support().build_results_run(tmp_path_factory)
