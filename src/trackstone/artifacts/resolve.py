"""Pick the ``ArtifactRepository`` implementation that serves an artifact URI."""

from __future__ import annotations

import re
from collections.abc import Callable

from trackstone.artifacts.base import ArtifactRepository
from trackstone.errors import InvalidParameter

__all__ = ["repository_for_uri", "uri_scheme"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def uri_scheme(uri: str) -> str:
    """Return the lower-cased scheme of ``uri``, or ``""`` for a plain local path.

    A single letter before the colon is a Windows drive (``C:\\runs``), not a scheme.
    """
    match = _SCHEME.match(uri)
    if match is None or len(match.group(1)) == 1:
        return ""
    return match.group(1).lower()


def _local(uri: str) -> ArtifactRepository:
    from trackstone.artifacts.local import LocalArtifactRepository

    return LocalArtifactRepository(uri)


# One row per scheme; a new backend adds a row whose factory imports its module lazily.
_FACTORIES: dict[str, Callable[[str], ArtifactRepository]] = {
    "": _local,
    "file": _local,
}


def repository_for_uri(uri: str) -> ArtifactRepository:
    """Return a repository serving ``uri``: a local path or a ``file://`` URI.

    Raises:
        InvalidParameter: the URI is empty or its scheme is not supported.

    Example:
        >>> repository_for_uri("file:///tmp/artifacts").root_uri
        'file:///tmp/artifacts'
    """
    if not isinstance(uri, str) or not uri:
        raise InvalidParameter(f"artifact URI: must be a non-empty string, got {uri!r}")
    scheme = uri_scheme(uri)
    factory = _FACTORIES.get(scheme)
    if factory is None:
        raise InvalidParameter(f"unsupported artifact URI scheme {scheme!r} in {uri!r}")
    return factory(uri)
