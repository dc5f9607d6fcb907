"""MLflow's ``mlflow.artifacts`` functions: download, list and load artifacts named by a URI.

Exposed as ``trackstone.artifacts.download_artifacts`` (and ``list_artifacts``, ``load_text``,
``load_dict``, ``load_image``) so that ``import trackstone as mlflow`` runs scripts calling
``mlflow.artifacts.*``. An artifact URI is either ``runs:/<run_id>/<path>`` (the run's
artifacts, found through the tracking store), a ``models:/`` URI (a registered model version
or a logged model, resolved by ``model_uris``), or a URI an ``ArtifactRepository`` serves
directly (a local path, ``file://``, ``s3://``, ``mlflow-artifacts:/``, a server's proxy URL).
A direct URI is split into its parent (the repository root) and its last name, as MLflow
does, so downloading ``.../artifacts/dir`` gives ``<dst_path>/dir``.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from trackstone.client.client import TrackstoneClient, warn_unsupported
from trackstone.client.model_uris import (
    MODELS_SCHEME,
    RUNS_SCHEME,
    parse_model_uri,
    parse_runs_uri,
    resolve_artifact_location,
)
from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    from trackstone.artifacts.base import ArtifactRepository, FileInfo

__all__ = [
    "download_artifacts",
    "list_artifacts",
    "load_dict",
    "load_image",
    "load_text",
    "split_artifact_uri",
]

# Schemes whose repositories read the path percent-decoded, so a name taken from it is too.
_DECODED_SCHEMES = ("file", "http", "https")
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class _Location:
    """Where an artifact URI points: a run's artifact path, a path inside a ``models:/``
    URI's files, or a path under a root URI."""

    path: str
    run_id: str | None = None
    root_uri: str | None = None
    model_uri: str | None = None


def _scheme(uri: str) -> str:
    from trackstone.artifacts.resolve import uri_scheme

    return uri_scheme(uri)


def split_artifact_uri(uri: str) -> tuple[str, str]:
    """Split a direct artifact URI into its parent (a repository root) and its last name.

    Example:
        >>> split_artifact_uri("s3://bucket/1/abc/artifacts/model")
        ('s3://bucket/1/abc/artifacts', 'model')
    """
    scheme = _scheme(uri)
    if not scheme:
        trimmed = uri.rstrip("/\\") or uri
        parent, name = os.path.split(trimmed)
        return parent or ".", name
    parts = urlsplit(uri)
    path = parts.path.rstrip("/")
    parent_path, _, name = path.rpartition("/")
    if scheme in _DECODED_SCHEMES:
        name = unquote(name)
    if not parent_path and path.startswith("/") and scheme == "file":
        parent_path = "/"  # file:///name: the root folder, not the empty URI "file://"
    parent = urlunsplit((parts.scheme, parts.netloc, parent_path, parts.query, parts.fragment))
    return parent, name


def _locate(artifact_uri: str | None, run_id: str | None, artifact_path: str | None) -> _Location:
    """Check MLflow's argument rules and say where the artifacts are."""
    if (artifact_uri is None) == (run_id is None):
        raise InvalidParameter("give exactly one of artifact_uri and run_id")
    if artifact_uri is None:
        assert run_id is not None
        return _Location(path=(artifact_path or "").strip("/"), run_id=run_id)
    if artifact_path is not None:
        raise InvalidParameter("artifact_path: only allowed together with run_id")
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise InvalidParameter(f"artifact_uri: must be a non-empty string, got {artifact_uri!r}")
    scheme = _scheme(artifact_uri)
    if scheme == RUNS_SCHEME:
        parsed = parse_runs_uri(artifact_uri)
        return _Location(path=parsed.path, run_id=parsed.run_id)
    if scheme == MODELS_SCHEME:
        # Parsed now (bad URIs fail before any store opens); resolved with the client.
        model = parse_model_uri(artifact_uri, field="artifact_uri")
        return _Location(path=model.path, model_uri=artifact_uri)
    root_uri, name = split_artifact_uri(artifact_uri)
    return _Location(path=name, root_uri=root_uri)


@contextmanager
def _client_for(tracking_uri: str | None) -> Iterator[TrackstoneClient]:
    """Yield the fluent API's client, or a client of ``tracking_uri`` closed afterwards."""
    if tracking_uri is None:
        from trackstone.client.fluent import get_client

        yield get_client()
        return
    client = TrackstoneClient(tracking_uri)
    try:
        yield client
    finally:
        client.close()


def _repository(client: TrackstoneClient, location: _Location) -> ArtifactRepository:
    from trackstone.artifacts.resolve import repository_for_uri

    if location.run_id is not None:
        client.flush(location.run_id)
        root = client.get_artifact_uri(location.run_id)
    elif location.model_uri is not None:
        root = resolve_artifact_location(client.store, location.model_uri).root_uri
    else:
        assert location.root_uri is not None
        root = location.root_uri
    return repository_for_uri(root, settings=client.settings)


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    registry_uri: str | None = None,
) -> str:
    """Download an artifact file or folder to a local folder and return its local path.

    The copy keeps the artifact's relative path: ``runs:/<id>/model`` lands at
    ``<dst_path>/model``. Artifacts are always copied, also from a local store, so that the
    caller can never change the stored files through the returned path.

    Args:
        artifact_uri: ``runs:/<run_id>/<path>``, ``models:/<name>/<version>`` (or
            ``@<alias>``, a stage, ``latest``, ``m-<model id>``; see ``model_uris``), or a URI
            an artifact repository serves (local path, ``file://``, ``s3://``,
            ``mlflow-artifacts:/``). Exactly one of ``artifact_uri`` and ``run_id``.
        run_id: the run whose artifacts to download (with ``artifact_path``).
        artifact_path: a path under the run's artifact root (only with ``run_id``).
        dst_path: the local folder to download into, created if missing; a new temporary
            folder when None.
        tracking_uri: the tracking store to find the run in (default: the fluent API's).
        registry_uri: accepted for MLflow compatibility and ignored.

    Raises:
        InvalidParameter: the arguments break the rules above, or the URI is not supported.
        NotFound: the run, model, version, alias or the artifact does not exist.

    Example:
        >>> trackstone.artifacts.download_artifacts(f"runs:/{run_id}/model")  # doctest: +SKIP
        '/tmp/trackstone-x1y2/model'
    """
    warn_unsupported(registry_uri=registry_uri)
    location = _locate(artifact_uri, run_id, artifact_path)
    with _client_for(tracking_uri) as client:
        repository = _repository(client, location)
        if dst_path is not None:
            return str(repository.download_artifacts(location.path, dst_path))
        target = tempfile.mkdtemp(prefix="trackstone-")
        try:
            return str(repository.download_artifacts(location.path, target))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """List the direct children of an artifact folder (paths relative to the repository root).

    Arguments as in ``download_artifacts``. A missing folder or a file lists as ``[]``.
    """
    location = _locate(artifact_uri, run_id, artifact_path)
    with _client_for(tracking_uri) as client:
        return _repository(client, location).list_artifacts(location.path or None)


def _read_bytes(artifact_uri: str) -> bytes:
    location = _locate(artifact_uri, None, None)
    if not location.path:
        raise InvalidParameter(f"artifact_uri {artifact_uri!r}: must name a file, not a root")
    with (
        _client_for(None) as client,
        _repository(client, location).open_artifact(location.path) as stream,
    ):
        return stream.read()


def load_text(artifact_uri: str) -> str:
    """Return the content of a text artifact (UTF-8).

    Raises:
        InvalidParameter: the artifact is a folder or not UTF-8 text.
        NotFound: the artifact does not exist.

    Example:
        >>> trackstone.artifacts.load_text(f"runs:/{run_id}/notes.txt")  # doctest: +SKIP
        'converged after 12 epochs'
    """
    data = _read_bytes(artifact_uri)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter(f"artifact {artifact_uri!r}: is not UTF-8 text") from None


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """Return the dict a JSON artifact holds (YAML for ``.yaml``/``.yml``, as ``log_dict`` wrote).

    Raises:
        InvalidParameter: the artifact is not valid JSON (or YAML).
        NotFound: the artifact does not exist.

    Example:
        >>> trackstone.artifacts.load_dict(f"runs:/{run_id}/config.json")  # doctest: +SKIP
        {'lr': 0.01}
    """
    text = load_text(artifact_uri)
    suffix = posixpath.splitext(urlsplit(artifact_uri).path)[1].lower()
    if suffix in _YAML_SUFFIXES:
        import yaml

        try:
            loaded: Any = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise InvalidParameter(f"artifact {artifact_uri!r}: not valid YAML: {error}") from None
        return loaded  # type: ignore[no-any-return]
    try:
        return json.loads(text)  # type: ignore[no-any-return]
    except ValueError as error:
        raise InvalidParameter(f"artifact {artifact_uri!r}: not valid JSON: {error}") from None


def load_image(artifact_uri: str) -> Any:
    """Return an image artifact as a ``PIL.Image.Image`` (pixels loaded, file closed).

    Raises:
        InvalidParameter: the artifact is not an image PIL can read.
        NotFound: the artifact does not exist.
    """
    from PIL import Image, UnidentifiedImageError

    data = _read_bytes(artifact_uri)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InvalidParameter(
            f"artifact {artifact_uri!r}: not a readable image: {error}"
        ) from None
    return image
