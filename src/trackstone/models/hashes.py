"""File hashes of a model directory: written at save time, checked before anything is loaded.

``trackstone_hashes.json`` lists the SHA-256 of every other file of the directory::

    {"algorithm": "sha256", "files": {"MLmodel": "<hex>", "model.pkl": "<hex>", ...}}

Loading refuses a directory where a listed file changed or is missing, or where a file is
present that was not listed (e.g. a module dropped beside a pickle). A directory without the
file (a model written by MLflow) cannot be verified: ``verify_hashes`` returns False and the
caller warns. This detects corruption and edits made after saving; whoever can rewrite the
directory can also rewrite this file, so it is not a signature.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from trackstone.errors import InvalidState

__all__ = ["HASH_FILE_NAME", "file_hashes", "verify_hashes", "write_hashes"]

HASH_FILE_NAME = "trackstone_hashes.json"
_ALGORITHM = "sha256"
_CHUNK_BYTES = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(model_dir: Path) -> dict[str, str]:
    """Return relative POSIX path -> SHA-256 for every file under ``model_dir`` but ours.

    Raises:
        InvalidState: the directory holds a symbolic link (its target could change unseen).
    """
    root = Path(model_dir)
    hashes: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            if path.is_symlink():
                relative = path.relative_to(root).as_posix()
                raise InvalidState(
                    f"model {str(root)!r}: {relative!r} is a symbolic link; "
                    "model directories must hold plain files"
                )
        for name in files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if relative != HASH_FILE_NAME:
                hashes[relative] = _sha256(path)
    return dict(sorted(hashes.items()))


def write_hashes(model_dir: Path) -> Path:
    """Record the hash of every file of ``model_dir``; call it after the last file is written."""
    path = Path(model_dir) / HASH_FILE_NAME
    body = {"algorithm": _ALGORITHM, "files": file_hashes(model_dir)}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path


def _recorded(model_dir: Path) -> dict[str, str]:
    path = Path(model_dir) / HASH_FILE_NAME
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidState(
            f"model {str(model_dir)!r}: {HASH_FILE_NAME} is unreadable: {error}"
        ) from None
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or body.get("algorithm") != _ALGORITHM:
        raise InvalidState(
            f"model {str(model_dir)!r}: {HASH_FILE_NAME} must hold "
            f'{{"algorithm": "{_ALGORITHM}", "files": {{...}}}}'
        )
    return {str(name): str(digest) for name, digest in files.items()}


def verify_hashes(model_dir: Path) -> bool:
    """Check every file of ``model_dir`` against its recorded hash.

    Returns:
        True when verified; False when the directory has no hash file (cannot be verified).

    Raises:
        InvalidState: a file changed, is missing, or was not there when the model was saved
            (the message names the file), or the hash file is malformed.
    """
    if not (Path(model_dir) / HASH_FILE_NAME).is_file():
        return False
    recorded = _recorded(model_dir)
    actual = file_hashes(model_dir)
    refuse = f"model {str(model_dir)!r} was modified after it was saved; refusing to load it:"
    for name, digest in recorded.items():
        if name not in actual:
            raise InvalidState(f"{refuse} file {name!r} is missing")
        if actual[name] != digest:
            raise InvalidState(
                f"{refuse} file {name!r} changed (sha256 {actual[name]}, recorded {digest})"
            )
    for name in actual:
        if name not in recorded:
            raise InvalidState(f"{refuse} file {name!r} was added (not in {HASH_FILE_NAME})")
    return True
