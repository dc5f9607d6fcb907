"""File hashes of a model directory: a changed, missing or added file is refused by name."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from trackstone.errors import InvalidState
from trackstone.models.hashes import HASH_FILE_NAME, file_hashes, verify_hashes, write_hashes


def _model(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "model.pkl").write_bytes(b"\x80\x04pickled")
    (root / "data" / "weights.bin").write_bytes(b"\x00" * 10)
    write_hashes(root)
    return root


def test_the_hash_file_lists_every_other_file(tmp_path: Path) -> None:
    root = _model(tmp_path / "m")
    recorded = json.loads((root / HASH_FILE_NAME).read_text())
    assert recorded["algorithm"] == "sha256"
    assert sorted(recorded["files"]) == ["MLmodel", "data/weights.bin", "model.pkl"]
    assert recorded["files"] == file_hashes(root)
    assert verify_hashes(root) is True


def test_the_recorded_digest_is_sha256_of_the_content(tmp_path: Path) -> None:
    import hashlib

    root = _model(tmp_path / "m")
    recorded = json.loads((root / HASH_FILE_NAME).read_text())["files"]
    assert recorded["model.pkl"] == hashlib.sha256(b"\x80\x04pickled").hexdigest()


def _change(root: Path) -> None:
    (root / "model.pkl").write_bytes(b"\x80\x04tampered")


def _change_nested(root: Path) -> None:
    (root / "data" / "weights.bin").write_bytes(b"\x01" * 10)


def _remove(root: Path) -> None:
    (root / "model.pkl").unlink()


def _add(root: Path) -> None:
    (root / "sitecustomize.py").write_text("import os\n")


def _add_nested(root: Path) -> None:
    (root / "data" / "extra.bin").write_bytes(b"x")


TAMPERING = [
    # how, what the message must say
    (_change, "file 'model.pkl' changed"),
    (_change_nested, "file 'data/weights.bin' changed"),
    (_remove, "file 'model.pkl' is missing"),
    (_add, "file 'sitecustomize.py' was added"),
    (_add_nested, "file 'data/extra.bin' was added"),
]


@pytest.mark.parametrize(("tamper", "message"), TAMPERING)
def test_a_tampered_model_is_refused(
    tmp_path: Path, tamper: Callable[[Path], None], message: str
) -> None:
    root = _model(tmp_path / "m")
    tamper(root)
    with pytest.raises(InvalidState, match=re.escape(message)) as raised:
        verify_hashes(root)
    assert "refusing to load it" in str(raised.value)


def test_a_model_without_hash_file_cannot_be_verified(tmp_path: Path) -> None:
    root = _model(tmp_path / "m")
    (root / HASH_FILE_NAME).unlink()
    assert verify_hashes(root) is False


MALFORMED_HASH_FILES = [
    "not json",
    json.dumps({"algorithm": "md5", "files": {}}),
    json.dumps({"algorithm": "sha256"}),
    json.dumps(["sha256"]),
]


@pytest.mark.parametrize("content", MALFORMED_HASH_FILES)
def test_a_malformed_hash_file_is_refused(tmp_path: Path, content: str) -> None:
    root = _model(tmp_path / "m")
    (root / HASH_FILE_NAME).write_text(content)
    with pytest.raises(InvalidState, match=HASH_FILE_NAME):
        verify_hashes(root)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_symbolic_links_are_refused(tmp_path: Path) -> None:
    root = _model(tmp_path / "m")
    (tmp_path / "outside.txt").write_text("x")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(InvalidState, match=r"'link\.txt' is a symbolic link"):
        verify_hashes(root)
