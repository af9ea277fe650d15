"""Where `score --dialogues` keeps the default reference between calls.

Fitting it takes one to two minutes (296 offline baseline episodes, then three discriminators), and it
depends only on the code and the bundled data, so it is fitted once per version of both and kept in the
user's cache folder: `$EVOPERSONA_CACHE_DIR`, else `$XDG_CACHE_HOME/evopersona`, else `~/.cache/evopersona`.
The key hashes every source file of the package and every bundled corpus, so any change refits it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from evopersona.resources import DATA_DIR, PACKAGE_DIR, bundled_dir, programs_dir

KEY_LENGTH = 16


def cache_root() -> Path:
    explicit = os.environ.get("EVOPERSONA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "evopersona"


def default_reference_key() -> str:
    """A digest of the package's code and the bundled fitness data the default reference is fitted from."""
    digest = hashlib.sha256()
    sources = [
        *sorted(PACKAGE_DIR.rglob("*.py")), *sorted(programs_dir().glob("*.py")),
        *sorted(bundled_dir("fitness").rglob("*.jsonl")), *sorted(DATA_DIR.rglob("*.json")),
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:KEY_LENGTH]


def default_reference_folder() -> Path:
    return cache_root() / f"default-reference-{default_reference_key()}"


def publish(scratch: Path, folder: Path) -> None:
    """Move a fully fitted reference into place, so an interrupted fit never leaves half a cache."""
    try:
        scratch.rename(folder)
    except OSError:
        if not (folder / "reference.json").is_file():
            raise
        shutil.rmtree(scratch, ignore_errors=True)
