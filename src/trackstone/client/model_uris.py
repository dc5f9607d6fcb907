"""Parse ``models:/`` and ``runs:/`` URIs and resolve them into the artifact URI to read.

The forms (as MLflow writes them; a trailing ``/<path>`` names a file or folder inside)::

    models:/<name>/<version>[/<path>]   one version, by number
    models:/<name>/<stage>[/<path>]     the newest version in a stage (any letter case)
    models:/<name>/latest[/<path>]      the newest version of the model
    models:/<name>@<alias>[/<path>]     the version an alias points at
    models:/m-<model id>                an MLflow 3 logged model
    runs:/<run_id>[/<path>]             a run's artifacts

Parsing is pure (``parse_model_uri``, ``parse_runs_uri``); resolving asks the tracking
store's registry, logged models or runs (``resolve_artifact_location``). Malformed URIs raise
InvalidParameter naming the URI; unknown models, versions and runs raise NotFound, and an
alias the model lacks raises InvalidParameter (MLflow's INVALID_PARAMETER_VALUE).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from trackstone.entities.registry import ModelVersion, ModelVersionStage
from trackstone.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from trackstone.store.base import TrackingStore
    from trackstone.store.registry import RegistryStore

__all__ = [
    "MODELS_SCHEME",
    "RUNS_SCHEME",
    "ArtifactLocation",
    "ModelUri",
    "ModelUriKind",
    "RegistrationSource",
    "RunsUri",
    "is_model_uri",
    "is_runs_uri",
    "parse_model_uri",
    "parse_runs_uri",
    "registration_source",
    "resolve_artifact_location",
    "resolve_model_version",
]

MODELS_SCHEME = "models"
RUNS_SCHEME = "runs"
LATEST = "latest"
LOGGED_MODEL_PREFIX = "m-"
_MODEL_FORMS = (
    "models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest, "
    "models:/<name>@<alias> or models:/m-<model id>"
)


class ModelUriKind(str, Enum):
    """Which version a ``models:/`` URI names."""

    VERSION = "version"
    STAGE = "stage"
    LATEST = "latest"
    ALIAS = "alias"
    LOGGED_MODEL = "logged_model"


@dataclass(frozen=True)
class ModelUri:
    """A parsed ``models:/`` URI. ``name`` is empty for a logged model (``model_id`` set)."""

    uri: str
    kind: ModelUriKind
    name: str = ""
    version: str = ""
    stage: ModelVersionStage | None = None
    alias: str = ""
    model_id: str = ""
    path: str = ""


@dataclass(frozen=True)
class RunsUri:
    """A parsed ``runs:/<run_id>/<path>`` URI."""

    uri: str
    run_id: str
    path: str = ""


@dataclass(frozen=True)
class ArtifactLocation:
    """Where a ``models:/`` or ``runs:/`` URI points: a path under an artifact root URI.

    ``run_id`` is set for ``runs:/`` URIs (the caller may flush the run before reading).
    """

    root_uri: str
    path: str
    run_id: str = ""


@dataclass(frozen=True)
class RegistrationSource:
    """What to register for a model URI: the ``source`` and the run and logged model behind it."""

    source: str
    run_id: str = ""
    model_id: str = ""


def _scheme_of(uri: str) -> str:
    head, colon, _ = uri.partition(":")
    return head.lower() if colon else ""


def is_model_uri(uri: str) -> bool:
    """Say whether ``uri`` has the ``models:`` scheme (any letter case).

    Example:
        >>> is_model_uri("models:/churn/3"), is_model_uri("runs:/abc/model")
        (True, False)
    """
    return _scheme_of(uri) == MODELS_SCHEME


def is_runs_uri(uri: str) -> bool:
    """Say whether ``uri`` has the ``runs:`` scheme (any letter case)."""
    return _scheme_of(uri) == RUNS_SCHEME


def _path_part(uri: str, scheme: str, field: str, forms: str) -> str:
    """Return what follows ``<scheme>:/``, refusing a host part and an empty path."""
    rest = uri[len(scheme) + 1 :]
    if rest.startswith("//"):
        raise InvalidParameter(f"{field} {uri!r}: expected {forms}, with no host part")
    if not rest.startswith("/") or not rest.strip("/"):
        raise InvalidParameter(f"{field} {uri!r}: expected {forms}")
    return rest[1:]


def _check_path(uri: str, field: str, path: str) -> str:
    parts = path.strip("/").split("/") if path.strip("/") else []
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidParameter(
            f"{field} {uri!r}: the path inside the model must not hold empty, '.' or '..' parts"
        )
    return "/".join(parts)


def parse_model_uri(uri: str, field: str = "model_uri") -> ModelUri:
    """Parse a ``models:/`` URI without looking anything up.

    Args:
        uri: the URI (forms in the module docstring).
        field: the argument name used in error messages.

    Raises:
        InvalidParameter: ``uri`` is not one of the forms; the message names it.

    Example:
        >>> parse_model_uri("models:/churn@champion").alias
        'champion'
    """
    if not isinstance(uri, str) or not is_model_uri(uri):
        raise InvalidParameter(f"{field} {uri!r}: expected {_MODEL_FORMS}")
    path = _path_part(uri, MODELS_SCHEME, field, _MODEL_FORMS)
    first, _, rest = path.partition("/")
    if "@" in first:
        name, _, alias = first.rpartition("@")
        if not name.strip() or not alias.strip():
            raise InvalidParameter(f"{field} {uri!r}: expected models:/<name>@<alias>")
        return ModelUri(
            uri, ModelUriKind.ALIAS, name=name, alias=alias, path=_check_path(uri, field, rest)
        )
    if not first.strip():
        raise InvalidParameter(f"{field} {uri!r}: expected {_MODEL_FORMS}")
    suffix, _, inner = rest.partition("/")
    if not rest.strip("/"):
        if first.startswith(LOGGED_MODEL_PREFIX):
            return ModelUri(uri, ModelUriKind.LOGGED_MODEL, model_id=first)
        raise InvalidParameter(f"{field} {uri!r}: names no version; expected {_MODEL_FORMS}")
    inner = _check_path(uri, field, inner)
    if suffix.isdigit():
        return ModelUri(uri, ModelUriKind.VERSION, name=first, version=suffix, path=inner)
    if suffix.lower() == LATEST:
        return ModelUri(uri, ModelUriKind.LATEST, name=first, path=inner)
    try:
        stage = ModelVersionStage.parse(suffix)
    except InvalidParameter:
        stages = ", ".join(stage.value for stage in ModelVersionStage)
        raise InvalidParameter(
            f"{field} {uri!r}: {suffix!r} is neither a version number, a stage ({stages}) "
            f"nor 'latest'"
        ) from None
    return ModelUri(uri, ModelUriKind.STAGE, name=first, stage=stage, path=inner)


def parse_runs_uri(uri: str, field: str = "artifact_uri") -> RunsUri:
    """Parse ``runs:/<run_id>[/<path>]``.

    Raises:
        InvalidParameter: the URI has a host part or no run id; the message names it.

    Example:
        >>> parse_runs_uri("runs:/0a1b/model").path
        'model'
    """
    forms = "runs:/<run_id>/<path>"
    if not isinstance(uri, str) or not is_runs_uri(uri):
        raise InvalidParameter(f"{field} {uri!r}: expected {forms}")
    run_id, _, path = _path_part(uri, RUNS_SCHEME, field, forms).partition("/")
    if not run_id:
        raise InvalidParameter(f"{field} {uri!r}: expected {forms}")
    return RunsUri(uri, run_id, path.strip("/"))


def resolve_model_version(registry: RegistryStore, parsed: ModelUri) -> ModelVersion:
    """Return the version a parsed ``models:/`` URI names (not a logged model's).

    Raises:
        InvalidParameter: ``parsed`` names a logged model, not a registered version.
        InvalidParameter: the model has no such alias (MLflow's code for it).
        NotFound: the model or version does not exist, or no version is in the stage.
    """
    if parsed.kind is ModelUriKind.LOGGED_MODEL:
        raise InvalidParameter(
            f"model_uri {parsed.uri!r}: names a logged model, not a registered model version"
        )
    if parsed.kind is ModelUriKind.VERSION:
        return registry.get_model_version(parsed.name, parsed.version)
    if parsed.kind is ModelUriKind.ALIAS:
        return registry.get_model_version_by_alias(parsed.name, parsed.alias)
    stages = [parsed.stage] if parsed.stage is not None else []
    latest = registry.get_latest_versions(parsed.name, stages)
    if not latest:
        where = f" in stage {parsed.stage.value}" if parsed.stage is not None else ""
        raise NotFound(f"model_uri {parsed.uri!r}: model {parsed.name!r} has no version{where}")
    return max(latest, key=lambda version: int(version.version))


def resolve_artifact_location(
    store: TrackingStore, uri: str, field: str = "artifact_uri"
) -> ArtifactLocation:
    """Return the artifact root and path a ``models:/`` or ``runs:/`` URI points at.

    A registered version reads from its download URI (its ``storage_location``, fixed at
    registration), a logged model from its ``artifact_location``, a run from its artifact root.

    Raises:
        InvalidParameter: the URI is malformed or has another scheme.
        NotFound: the run, logged model, registered model, version or alias does not exist.
    """
    if is_runs_uri(uri):
        parsed_run = parse_runs_uri(uri, field)
        artifact_uri = store.get_run(parsed_run.run_id).info.artifact_uri
        return ArtifactLocation(artifact_uri, parsed_run.path, parsed_run.run_id)
    parsed = parse_model_uri(uri, field)
    if parsed.kind is ModelUriKind.LOGGED_MODEL:
        from trackstone.store.logged_models import logged_models_of

        model = logged_models_of(store).get_logged_model(parsed.model_id)
        return ArtifactLocation(model.artifact_location, parsed.path)
    from trackstone.store.registry import registry_of

    registry = registry_of(store)
    version = resolve_model_version(registry, parsed)
    root = registry.get_model_version_download_uri(version.name, version.version)
    return ArtifactLocation(root, parsed.path)


def registration_source(store: TrackingStore, model_uri: str) -> RegistrationSource:
    """Return the source, run and logged model to register a new version from ``model_uri``.

    ``runs:/`` fills the run; ``models:/m-<id>`` the logged model and its source run. A
    version named by alias, stage or ``latest`` is pinned to its number now, so that the new
    version copies what the URI meant at registration, not what it may mean later. Other URIs
    are registered as given.

    Raises:
        InvalidParameter: a ``runs:/`` or ``models:/`` URI is malformed.
        NotFound: the logged model, registered model, version or alias does not exist.
    """
    if is_runs_uri(model_uri):
        run = parse_runs_uri(model_uri, "model_uri")
        return RegistrationSource(model_uri, run.run_id)
    if not is_model_uri(model_uri):
        return RegistrationSource(model_uri)
    parsed = parse_model_uri(model_uri)
    if parsed.kind is ModelUriKind.LOGGED_MODEL:
        from trackstone.store.logged_models import logged_models_of

        model = logged_models_of(store).get_logged_model(parsed.model_id)
        return RegistrationSource(model_uri, model.source_run_id, model.model_id)
    from trackstone.store.registry import registry_of

    version = resolve_model_version(registry_of(store), parsed)
    pinned = f"{MODELS_SCHEME}:/{version.name}/{version.version}"
    if parsed.path:
        pinned += f"/{parsed.path}"
    return RegistrationSource(pinned, version.run_id, version.model_id)
