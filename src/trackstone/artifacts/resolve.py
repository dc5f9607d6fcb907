"""Pick the ``ArtifactRepository`` implementation that serves an artifact URI."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class _Options:
    """Backend settings a caller passes down (from ``Settings``); each backend reads its own."""

    s3_endpoint_url: str | None = None


def _local(uri: str, options: _Options) -> ArtifactRepository:
    from trackstone.artifacts.local import LocalArtifactRepository

    return LocalArtifactRepository(uri)


def _s3(uri: str, options: _Options) -> ArtifactRepository:
    try:
        import boto3  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        raise InvalidParameter(
            f"artifact URI {uri!r}: S3 needs boto3; install it with 'pip install trackstone[s3]'"
        ) from None
    from trackstone.artifacts.s3 import S3ArtifactRepository

    return S3ArtifactRepository(uri, endpoint_url=options.s3_endpoint_url)


# One row per scheme; a new backend adds a row whose factory imports its module lazily.
_FACTORIES: dict[str, Callable[[str, _Options], ArtifactRepository]] = {
    "": _local,
    "file": _local,
    "s3": _s3,
}


def repository_for_uri(uri: str, *, s3_endpoint_url: str | None = None) -> ArtifactRepository:
    """Return a repository serving ``uri``: a local path, a ``file://`` or an ``s3://`` URI.

    Args:
        uri: the artifact root.
        s3_endpoint_url: the endpoint of an S3-compatible store (``Settings.s3_endpoint_url``);
            None for AWS.

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
    return factory(uri, _Options(s3_endpoint_url=s3_endpoint_url))
