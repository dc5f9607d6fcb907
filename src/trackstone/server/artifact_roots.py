"""The server's artifact roots: where it may read and write, and the repositories serving them.

Clients never choose where the server touches files. The configured roots are the default
artifact root and the artifacts destination (``ServerSettings``); ``check_location`` refuses
an experiment ``artifact_location`` outside them (or a ``mlflow-artifacts://`` one naming a
host, to which clients would send artifacts and credentials), and ``repository_for_run``
serves a run's artifact URI only when it lies inside them. ``mlflow-artifacts:/<path>`` URIs
name a path under the artifacts destination (only while the server serves artifacts).
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

from trackstone.artifacts.base import ArtifactRepository
from trackstone.artifacts.paths import confined_path, is_inside, safe_relative_path
from trackstone.artifacts.resolve import repository_for_uri, uri_scheme
from trackstone.config import ServerSettings
from trackstone.errors import InvalidParameter, ServiceUnavailable

__all__ = ["PROXY_SCHEME", "ArtifactRoots", "proxied_relative_path", "roots_of"]

PROXY_SCHEME = "mlflow-artifacts"
_LOCAL_SCHEMES = ("", "file")


def proxied_relative_path(uri: str) -> str:
    """Return the path under the artifacts destination that ``mlflow-artifacts:`` ``uri`` names.

    ``mlflow-artifacts:/a/b``, ``mlflow-artifacts:///a/b`` and ``mlflow-artifacts://host/a/b``
    all name ``a/b`` (the host only tells clients which server to ask).

    Raises:
        InvalidParameter: not such a URI, or its path could leave the destination.
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() != PROXY_SCHEME or parts.query or parts.fragment:
        raise InvalidParameter(f"artifact URI {uri!r}: must be mlflow-artifacts:/<path>")
    try:
        return safe_relative_path(parts.path.lstrip("/"))
    except InvalidParameter as error:
        raise InvalidParameter(f"artifact URI {uri!r}: {error.message}") from None


def _inside_s3(root: str, candidate: str) -> bool:
    from trackstone.artifacts.s3 import parse_s3_uri

    root_bucket, root_prefix = parse_s3_uri(root)
    bucket, prefix = parse_s3_uri(candidate)
    if bucket != root_bucket:
        return False
    return not root_prefix or prefix == root_prefix or prefix.startswith(root_prefix + "/")


def _inside_local(root: str, candidate: str) -> bool:
    from trackstone.artifacts.local import local_path_for_uri

    root_real = os.path.realpath(local_path_for_uri(root))
    return is_inside(root_real, os.path.realpath(local_path_for_uri(candidate)))


def _inside(root: str, candidate: str) -> bool:
    """Tell whether the artifact URI ``candidate`` lies at or below the root URI ``root``."""
    root_scheme, scheme = uri_scheme(root), uri_scheme(candidate)
    if root_scheme in _LOCAL_SCHEMES and scheme in _LOCAL_SCHEMES:
        return _inside_local(root, candidate)
    if root_scheme == scheme == "s3":
        return _inside_s3(root, candidate)
    return False


class ArtifactRoots:
    """The artifact roots of one server, and cached repositories over them.

    Args:
        settings: the server's settings (roots, whether artifacts are served, S3 endpoint).
    """

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._destination: ArtifactRepository | None = None

    @property
    def serve_artifacts(self) -> bool:
        """Whether the ``mlflow-artifacts`` proxy is on."""
        return self.settings.serve_artifacts

    def _roots(self) -> list[str]:
        roots = [self.settings.artifacts_destination]
        default = self.settings.default_artifact_root
        if uri_scheme(default) != PROXY_SCHEME:
            roots.append(default)
        return roots

    def check_location(self, uri: str | None) -> None:
        """Refuse an experiment artifact location outside the configured roots.

        Raises:
            InvalidParameter: the location is outside every root, or unsafe.
        """
        if not uri:
            return
        if uri_scheme(uri) == PROXY_SCHEME:
            if not self.serve_artifacts:
                raise InvalidParameter(
                    f"artifact_location {uri!r}: this server does not serve artifacts "
                    "(--no-serve-artifacts)"
                )
            proxied_relative_path(uri)
            self._check_proxy_host(uri)
            return
        try:
            inside = any(_inside(root, uri) for root in self._roots())
        except InvalidParameter as error:
            raise InvalidParameter(f"artifact_location {uri!r}: {error.message}") from None
        if not inside:
            raise InvalidParameter(
                f"artifact_location {uri!r}: must lie under the server's artifact roots "
                "(its default artifact root or artifacts destination)"
            )

    def _check_proxy_host(self, uri: str) -> None:
        """Refuse a ``mlflow-artifacts://host/...`` location naming a host the operator did not.

        Clients send a run's artifacts, with their credentials, to the host the URI names;
        only the host of a configured ``mlflow-artifacts://`` default root may be named.
        """
        host = urlsplit(uri).netloc.lower()
        default = self.settings.default_artifact_root
        if not host or (
            uri_scheme(default) == PROXY_SCHEME and urlsplit(default).netloc.lower() == host
        ):
            return
        raise InvalidParameter(
            f"artifact_location {uri!r}: must not name a host (clients would send artifacts "
            "and credentials there); write mlflow-artifacts:/<path>"
        )

    def destination(self) -> ArtifactRepository:
        """Return the repository of the whole artifacts destination (the proxy's root).

        Raises:
            ServiceUnavailable: the server runs with ``--no-serve-artifacts``.
        """
        if not self.serve_artifacts:
            raise ServiceUnavailable(
                "the mlflow-artifacts endpoints are disabled: the server runs with "
                "--no-serve-artifacts (start it with --serve-artifacts to enable them)"
            )
        with self._lock:
            if self._destination is None:
                self._destination = repository_for_uri(
                    self.settings.artifacts_destination,
                    s3_endpoint_url=self.settings.s3_endpoint_url,
                )
            return self._destination

    def repository_for_run(self, artifact_uri: str) -> ArtifactRepository:
        """Return a repository rooted at a run's artifact URI, if the server may serve it.

        Raises:
            InvalidParameter: the URI lies outside the configured roots.
            ServiceUnavailable: a proxied URI while the server does not serve artifacts.
        """
        if uri_scheme(artifact_uri) == PROXY_SCHEME:
            return self._below_destination(proxied_relative_path(artifact_uri))
        self.check_location(artifact_uri)
        return repository_for_uri(artifact_uri, s3_endpoint_url=self.settings.s3_endpoint_url)

    def _below_destination(self, relative: str) -> ArtifactRepository:
        destination = self.destination()
        if not relative:
            return destination
        from trackstone.artifacts.local import LocalArtifactRepository

        if isinstance(destination, LocalArtifactRepository):
            # The real path: a symlink planted at the run's folder cannot lead elsewhere.
            return LocalArtifactRepository(confined_path(destination.root, relative))
        from trackstone.artifacts.s3 import S3ArtifactRepository

        if isinstance(destination, S3ArtifactRepository):
            return S3ArtifactRepository(
                f"{destination.root_uri}/{relative}", client=destination.client
            )
        return repository_for_uri(f"{destination.root_uri.rstrip('/')}/{relative}")


def roots_of(app_state: Any) -> ArtifactRoots:
    """Return the ``ArtifactRoots`` of an app (``request.app.state``), made on first use."""
    roots: ArtifactRoots | None = getattr(app_state, "artifact_roots", None)
    if roots is None:
        roots = ArtifactRoots(app_state.settings)
        app_state.artifact_roots = roots
    return roots
