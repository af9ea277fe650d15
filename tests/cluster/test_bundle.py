"""The reference folder travels as one content-addressed blob and is rebuilt byte for byte on a node."""

from __future__ import annotations

from pathlib import Path

import pytest

from evopersona.evaluation.bundle import FolderBundle, pack_folder, unpack_bundle


def _folder(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "reference.json").write_text('{"kinds": ["forest"]}')
    (root / "forest.joblib").write_bytes(bytes(range(256)) * 40)
    (root / "sub" / "anchors.json").write_text("[]")
    return root


def test_pack_unpack_round_trip_is_keyed_by_content(tmp_path: Path):
    source = _folder(tmp_path / "reference")
    bundle = pack_folder(source)
    assert pack_folder(source).digest == bundle.digest, "equal contents, equal digest"
    node = tmp_path / "node"
    target = unpack_bundle(bundle, node)
    assert target == node / bundle.digest
    for path in source.rglob("*"):
        if path.is_file():
            assert (target / path.relative_to(source)).read_bytes() == path.read_bytes()
    assert unpack_bundle(bundle, node) == target, "a second unpack on the node reuses the folder"
    (source / "reference.json").write_text('{"kinds": ["text"]}')
    assert pack_folder(source).digest != bundle.digest


def test_a_corrupt_bundle_is_refused(tmp_path: Path):
    bundle = pack_folder(_folder(tmp_path / "reference"))
    broken = FolderBundle(digest=bundle.digest, data=bundle.data[:-512] + b"x" * 512)
    with pytest.raises(ValueError, match="corrupt"):
        unpack_bundle(broken, tmp_path / "node")
