"""Where the bundled data lives, from a clone or from an installed wheel.

A clone keeps `fitness/`, `programs/` and `runs/` at the repository root; a wheel carries them under
`evopersona/_bundled/`. The τ² tasks are always package data under `evopersona/data/`.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
TAU2_DIR = DATA_DIR / "tau2"
_BUNDLED = PACKAGE_DIR / "_bundled"
_REPO_ROOT = PACKAGE_DIR.parent


def bundled_dir(name: str) -> Path:
    """The directory `name` (fitness, programs, runs) from a wheel or, failing that, the clone."""
    for base in (_BUNDLED, _REPO_ROOT):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled data folder '{name}' not found under {_BUNDLED} or {_REPO_ROOT}")


def human_corpus_dir() -> Path:
    return bundled_dir("fitness") / "human"


def programs_dir() -> Path:
    return bundled_dir("programs")


def tau2_domain_dir(domain: str) -> Path:
    return TAU2_DIR / domain


def user_guidelines_path(with_tools: bool = False) -> Path:
    name = "simulation_guidelines_tools.md" if with_tools else "simulation_guidelines.md"
    return TAU2_DIR / "user_simulator" / name
