"""Pick the ``ArtifactRepository`` implementation that serves an artifact URI."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from trackstone.artifacts.base import ArtifactRepository
from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    from trackstone.config import Settings

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
    tracking_uri: str | None = None
    authorization: str | None = None


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


def _authorization(settings: Settings) -> str | None:
    """Return the ``Authorization`` header the settings' credentials give (basic wins)."""
    if settings.tracking_username and settings.tracking_password is not None:
        pair = f"{settings.tracking_username}:{settings.tracking_password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    if settings.tracking_token:
        return f"Bearer {settings.tracking_token}"
    return None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def _credentials_for(base_url: str, options: _Options) -> str | None:
    """Return the tracking server's credentials if ``base_url`` is that server, else None.

    An artifact URI is data anyone who can write to the server chose (a model version's
    source, an experiment's location): another host it names never gets the credentials.
    """
    if options.tracking_uri and _origin(base_url) == _origin(options.tracking_uri):
        return options.authorization
    return None


def _proxied_url(uri: str, options: _Options) -> ArtifactRepository:
    from trackstone.artifacts.proxied import ProxiedArtifactRepository, split_proxy_url

    base_url, prefix = split_proxy_url(uri)
    return ProxiedArtifactRepository(
        base_url, prefix, authorization=_credentials_for(base_url, options)
    )


def _proxied(uri: str, options: _Options) -> ArtifactRepository:
    """Serve ``mlflow-artifacts:[//host:port]/path`` through the tracking server."""
    from trackstone.artifacts.proxied import ProxiedArtifactRepository

    parts = urlsplit(uri)
    tracking = urlsplit(options.tracking_uri or "")
    if parts.netloc:
        scheme = tracking.scheme if tracking.scheme in ("http", "https") else "http"
        base_url = f"{scheme}://{parts.netloc}"
    elif tracking.scheme in ("http", "https"):
        base_url = options.tracking_uri or ""
    else:
        raise InvalidParameter(
            f"artifact URI {uri!r}: names the tracking server's artifact proxy, but the "
            "tracking URI is not an http(s):// server"
        )
    return ProxiedArtifactRepository(
        base_url, parts.path.lstrip("/"), authorization=_credentials_for(base_url, options)
    )


# One row per scheme; a new backend adds a row whose factory imports its module lazily.
_FACTORIES: dict[str, Callable[[str, _Options], ArtifactRepository]] = {
    "": _local,
    "file": _local,
    "s3": _s3,
    "mlflow-artifacts": _proxied,
    "http": _proxied_url,
    "https": _proxied_url,
}


def repository_for_uri(
    uri: str, *, s3_endpoint_url: str | None = None, settings: Settings | None = None
) -> ArtifactRepository:
    """Return a repository serving ``uri``: a local path, a ``file://`` or ``s3://`` URI, or a
    tracking server's artifact proxy (``mlflow-artifacts:/path`` or its ``http(s)://`` URL).

    Args:
        uri: the artifact root.
        s3_endpoint_url: the endpoint of an S3-compatible store (``Settings.s3_endpoint_url``);
            None for AWS.
        settings: the client's settings: the S3 endpoint (unless given), the tracking server
            that ``mlflow-artifacts:/`` URIs name, and its credentials (sent to that server
            only, never to another host an artifact URI names).

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
    options = _Options(s3_endpoint_url=s3_endpoint_url)
    if settings is not None:
        options = _Options(
            s3_endpoint_url=s3_endpoint_url or settings.s3_endpoint_url,
            tracking_uri=settings.tracking_uri,
            authorization=_authorization(settings),
        )
    return factory(uri, options)
