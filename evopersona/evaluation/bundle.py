"""A folder as one content-addressed blob, so a worker node can rebuild it without the driver's disk.

The fitness reference is a folder written by `FitnessReference.save`; its contents are opaque here
(every regular file is packed). The driver packs it once and puts the bytes in Ray's object store;
each node unpacks it once under its temp dir, keyed by the content hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class FolderBundle(BaseModel):
    """The files of a folder (tar, uncompressed: joblib and npy files carry their own encoding)."""

    model_config = ConfigDict(frozen=True)
    digest: str
    data: bytes


def pack_folder(folder: Path) -> FolderBundle:
    """Every regular file below `folder`, in sorted order with fixed metadata, so equal contents hash equally."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.size = path.stat().st_size
            info.mode = 0o644
            with path.open("rb") as handle:
                tar.addfile(info, handle)
    data = buffer.getvalue()
    return FolderBundle(digest=hashlib.sha256(data).hexdigest(), data=data)


def bundle_root() -> Path:
    """Where this node keeps unpacked bundles (node-local; never the driver's run folder)."""
    return Path(tempfile.gettempdir()) / "evopersona-bundles"


def unpacked_path(digest: str, root: Path | None = None) -> Path:
    return (root or bundle_root()) / digest


def unpack_bundle(bundle: FolderBundle, root: Path | None = None) -> Path:
    """Unpack once per node: into a private folder, then renamed into place (concurrent workers race safely)."""
    target = unpacked_path(bundle.digest, root)
    if target.is_dir():
        return target
    if hashlib.sha256(bundle.data).hexdigest() != bundle.digest:
        raise ValueError(f"bundle {bundle.digest[:12]} is corrupt: its contents hash differently")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{bundle.digest[:12]}-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r") as tar:
            tar.extractall(staging, filter="data")
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target
