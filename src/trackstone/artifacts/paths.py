"""Artifact path rules: normalise relative paths and keep every path inside its root.

An artifact path is a ``/``-separated path relative to a repository root. ``safe_relative_path``
returns its normal form (no empty, ``.`` or trailing segments; ``""`` for the root) or raises
``InvalidParameter`` naming the path. It refuses:

- absolute paths (``/etc/passwd``) and drive letters (``C:x``, ``c:/x``);
- backslashes, NUL bytes and every other control character;
- ``..`` segments anywhere, even where normalising would cancel them (``a/../b``);
- segments longer than 255 bytes (the common file-name limit), with a clear message instead of
  an operating-system error later.

Percent escapes are never decoded: ``report%20final.txt`` names a file with that literal name.
Other layers (an HTTP router, a proxy, an object store console) may decode, though, so the path
is also decoded repeatedly, only to check it: if decoding yields a path refused above, or adds a
separator (``a%2fb``), the path is refused. ``%2e%2e/x``, ``%252e%252e`` and ``..%5cx`` are all
refused this way.

``confined_path`` joins a relative path to a root folder and checks with ``os.path.realpath``
that the result stays inside the root's real path, so a symlink planted inside the root that
points outside (as a parent folder or as the final name) is refused. The check runs just before
each operation; a process that can rewrite the root folder while we work can still race it.

``check_path_length`` refuses a path whose whole file-system form would be too long for the
operating system (``PATH_MAX``, keeping room for a temporary name beside it), so that writers can
refuse it before creating any folder instead of failing halfway; ``confined_path`` applies it.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from urllib.parse import unquote

from trackstone.errors import InvalidParameter

__all__ = [
    "MAX_SEGMENT_BYTES",
    "check_path_length",
    "confined_path",
    "is_inside",
    "safe_relative_path",
]

MAX_SEGMENT_BYTES = 255
# Linux's PATH_MAX, where the operating system does not say.
_DEFAULT_MAX_PATH_BYTES = 4096
# Kept free for the name of a temporary file written beside a path (``.trackstone-tmp-`` + hex).
_TEMP_NAME_ROOM_BYTES = 64
# Enough for any honest path; a path still changing after this many decodings is hostile.
_MAX_DECODE_ROUNDS = 4
_DRIVE = re.compile(r"^[A-Za-z]:")


def _structural_problem(path: str) -> str | None:
    """Say why ``path`` is unsafe as written, or return None."""
    for char in path:
        if unicodedata.category(char) == "Cc":
            return f"must not contain control characters (found {char!r})"
    if "\\" in path:
        return "must use '/' as separator, not backslashes"
    if path.startswith("/"):
        return "must be relative, not absolute"
    if _DRIVE.match(path):
        return "must be relative, not start with a drive letter"
    segments = path.split("/")
    if ".." in segments:
        return "must not contain '..' segments"
    for segment in segments:
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            return f"each segment must be at most {MAX_SEGMENT_BYTES} bytes"
    return None


def _decoded_problem(path: str) -> str | None:
    """Say why ``path`` would be unsafe once percent-decoded by some layer, or return None."""
    decoded = path
    for _ in range(_MAX_DECODE_ROUNDS):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:
        if unquote(decoded) != decoded:
            return "must not be percent-encoded that many times"
    if decoded == path:
        return None
    problem = _structural_problem(decoded)
    if problem is not None:
        return f"decodes to {decoded!r}, which {problem}"
    if decoded.count("/") != path.count("/"):
        return "must not contain percent-encoded '/' separators"
    return None


def safe_relative_path(path: str | None) -> str:
    """Return the normal form of an artifact path (``""`` for the root), refusing escapes.

    Args:
        path: a ``/``-separated path relative to a repository root; None or ``""`` is the root.

    Returns:
        The path without empty or ``.`` segments and without a trailing slash.

    Raises:
        InvalidParameter: the path could leave its root (see the module docstring).

    Example:
        >>> safe_relative_path("models/./best/")
        'models/best'
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidParameter(f"artifact path: must be a string, got {path!r}")
    problem = _structural_problem(path) or _decoded_problem(path)
    normal = "/".join(segment for segment in path.split("/") if segment not in ("", "."))
    # Dropping "." segments can expose a drive letter ("./C:"): the normal form must pass too.
    problem = problem or _structural_problem(normal)
    if problem is not None:
        raise InvalidParameter(f"artifact path {path!r}: {problem}")
    return normal


@functools.cache
@functools.cache
def _max_path_bytes() -> int:
    try:
        return int(os.pathconf("/", "PC_PATH_MAX"))
    except (AttributeError, OSError, ValueError):
        return _DEFAULT_MAX_PATH_BYTES


def check_path_length(relative: str, full_path: str) -> None:
    """Refuse ``relative`` when ``full_path`` (it joined to its root) is too long for the OS.

    Raises:
        InvalidParameter: naming ``relative`` and the limit, never the server's own path.
    """
    limit = _max_path_bytes() - _TEMP_NAME_ROOM_BYTES
    if len(os.fsencode(full_path)) > limit:
        raise InvalidParameter(
            f"artifact path {relative!r}: too long: joined to the artifact root it must take "
            f"at most {limit} bytes"
        )


def is_inside(root_real: str, candidate_real: str) -> bool:
    """Tell whether a real path is ``root_real`` itself or lies below it."""
    if candidate_real == root_real:
        return True
    prefix = root_real if root_real.endswith(os.sep) else root_real + os.sep
    return candidate_real.startswith(prefix)


def confined_path(root: str | os.PathLike[str], path: str | None) -> str:
    """Return the real absolute path of ``path`` under ``root``, refusing symlink escapes.

    Symlinks are resolved (existing ones only; missing parts are kept as written), so the
    result is where an operation would really land. Symlinks that stay inside the root work.

    Raises:
        InvalidParameter: the path is unsafe, too long (``check_path_length``), or it resolves
            outside the root's real path.
    """
    relative = safe_relative_path(path)
    root_real = os.path.realpath(root)
    if not relative:
        return root_real
    joined = os.path.join(root_real, *relative.split("/"))
    check_path_length(relative, joined)
    candidate_real = os.path.realpath(joined)
    if not is_inside(root_real, candidate_real):
        raise InvalidParameter(
            f"artifact path {relative!r}: resolves outside the artifact root through a symlink"
        )
    return candidate_real
