"""Where the bundled data lives, from a clone or from an installed wheel.

A clone keeps `fitness/`, `programs/` and `runs/` at the repository root; a wheel carries them under
`evopersona/_bundled/`. The τ² tasks are always package data under `evopersona/data/`.
"""

from pathlib import Path

from evopersona.errors import InputError

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


def llm_sim_dir() -> Path:
    """Real LLM-simulated user dialogues (τ²-bench, MIT, Sierra Research): discriminator negatives."""
    return bundled_dir("fitness") / "llm_sim"


def programs_dir() -> Path:
    return bundled_dir("programs")


def tau2_domain_dir(domain: str) -> Path:
    return TAU2_DIR / domain


def user_guidelines_path(with_tools: bool = False) -> Path:
    name = "simulation_guidelines_tools.md" if with_tools else "simulation_guidelines.md"
    return TAU2_DIR / "user_simulator" / name


def resolve_program(name: str | Path) -> Path:
    """A generator program given as a path, or as a bundled program's file name (`axes_seed.py`).

    `programs/axes_seed.py` also resolves from an installed wheel, where no `programs/` folder is
    beside the working directory."""
    path = Path(name)
    if path.is_file():
        return path
    bundled = programs_dir() / path.name
    if bundled.is_file():
        return bundled
    available = ", ".join(sorted(p.name for p in programs_dir().glob("*.py")))
    raise InputError(f"program file not found: '{name}' (bundled programs: {available})")


def read_program(name: str | Path) -> tuple[Path, str]:
    """The resolved path of a program and its source; an unreadable file is bad input."""
    path = resolve_program(name)
    try:
        return path, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read program ({exc})") from None
