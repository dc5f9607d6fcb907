"""The model registry on the wire: MLflow's registered model and model version shapes.

Field names and shapes follow MLflow's ``model_registry.proto`` (REST API 2.0): a version
number is a string on the way out and may arrive as a string or a number; timestamps are
int64 milliseconds (numbers or decimal strings); ``status`` is sent by name. A version also
carries ``storage_location``, a Trackstone addition MLflow clients ignore, so that a
``RestStore`` reads back the same ``ModelVersion`` the server's store holds.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from trackstone.api.messages import Request, Response
from trackstone.api.records import WireTag
from trackstone.api.scalars import Int64
from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    REGISTERED_MODELS_MAX_RESULTS_LIMIT,
)

__all__ = [
    "CreateModelVersion",
    "CreateRegisteredModel",
    "DeleteModelVersion",
    "DeleteModelVersionTag",
    "DeleteRegisteredModel",
    "DeleteRegisteredModelAlias",
    "DeleteRegisteredModelTag",
    "GetLatestVersions",
    "GetModelVersion",
    "GetModelVersionByAlias",
    "GetModelVersionDownloadUri",
    "GetModelVersionDownloadUriResponse",
    "GetRegisteredModel",
    "ModelVersionResponse",
    "ModelVersionStatusValue",
    "ModelVersionsResponse",
    "RegisteredModelResponse",
    "RenameRegisteredModel",
    "SearchModelVersions",
    "SearchModelVersionsResponse",
    "SearchRegisteredModels",
    "SearchRegisteredModelsResponse",
    "SetModelVersionTag",
    "SetRegisteredModelAlias",
    "SetRegisteredModelTag",
    "TransitionModelVersionStage",
    "UpdateModelVersion",
    "UpdateRegisteredModel",
    "VersionValue",
    "WireModelVersion",
    "WireRegisteredModel",
    "WireRegisteredModelAlias",
    "model_version_from_wire",
    "model_version_tags_from_wire",
    "model_version_to_wire",
    "registered_model_from_wire",
    "registered_model_tags_from_wire",
    "registered_model_to_wire",
]

ModelVersionStatusValue = Literal["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY", 1, 2, 3]
# A version number: MLflow sends a string of digits; hand-written clients often send a number.
VersionValue = str | Int64

_STATUS_NUMBERS = {
    1: ModelVersionStatus.PENDING_REGISTRATION,
    2: ModelVersionStatus.FAILED_REGISTRATION,
    3: ModelVersionStatus.READY,
}


class WireRegisteredModelAlias(msgspec.Struct, frozen=True, gc=False):
    """``{"alias", "version"}``: one alias of a registered model."""

    alias: str
    version: str


class WireModelVersion(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One version of a registered model."""

    name: str = ""
    version: str = ""
    creation_timestamp: Int64 | None = None
    last_updated_timestamp: Int64 | None = None
    user_id: str = ""
    current_stage: str = ""
    description: str = ""
    source: str = ""
    run_id: str = ""
    # Always sent: a protobuf client reads a missing status as its first value,
    # PENDING_REGISTRATION, and would wait for the registration to finish.
    status: ModelVersionStatusValue | None = None
    status_message: str = ""
    tags: list[WireTag] = msgspec.field(default_factory=list)
    run_link: str = ""
    aliases: list[str] = msgspec.field(default_factory=list)
    model_id: str = ""
    storage_location: str = ""


class WireRegisteredModel(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A registered model with its tags, aliases and newest version of each stage."""

    name: str = ""
    creation_timestamp: Int64 | None = None
    last_updated_timestamp: Int64 | None = None
    user_id: str = ""
    description: str = ""
    latest_versions: list[WireModelVersion] = msgspec.field(default_factory=list)
    tags: list[WireTag] = msgspec.field(default_factory=list)
    aliases: list[WireRegisteredModelAlias] = msgspec.field(default_factory=list)


# -- registered models -------------------------------------------------------------------


class CreateRegisteredModel(Request, kw_only=True, frozen=True):
    """POST registered-models/create: a model with no versions yet."""

    name: str
    tags: list[WireTag] = msgspec.field(default_factory=list)
    description: str = ""
    # A Trackstone addition (MLflow's server takes the user from authentication).
    user_id: str = ""


class RegisteredModelResponse(Response, kw_only=True):
    """One registered model."""

    registered_model: WireRegisteredModel | None = None


class GetRegisteredModel(Request, kw_only=True, frozen=True):
    """GET registered-models/get: a model by name."""

    name: str


class RenameRegisteredModel(Request, kw_only=True, frozen=True):
    """POST registered-models/rename: give a model (and its versions) a new name."""

    name: str
    new_name: str


class UpdateRegisteredModel(Request, kw_only=True, frozen=True):
    """PATCH registered-models/update: set a model's description."""

    name: str
    description: str = ""


class DeleteRegisteredModel(Request, kw_only=True, frozen=True):
    """DELETE registered-models/delete: a model with all its versions."""

    name: str


class SearchRegisteredModels(Request, kw_only=True, frozen=True):
    """GET registered-models/search: a page of models matching a filter, in order."""

    filter_string: str | None = msgspec.field(default=None, name="filter")
    # 0 or less is an empty page, as in MLflow (the store decides).
    max_results: Annotated[int, msgspec.Meta(le=REGISTERED_MODELS_MAX_RESULTS_LIMIT)] | None = None
    order_by: list[str] = msgspec.field(default_factory=list)
    page_token: str | None = None


class SearchRegisteredModelsResponse(Response, kw_only=True):
    """A page of models and the token of the next page (absent at the end)."""

    registered_models: list[WireRegisteredModel] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class GetLatestVersions(Request, kw_only=True, frozen=True):
    """POST (or GET) registered-models/get-latest-versions: newest version per stage."""

    name: str
    stages: list[str] = msgspec.field(default_factory=list)


class ModelVersionsResponse(Response, kw_only=True):
    """Several versions (get-latest-versions)."""

    model_versions: list[WireModelVersion] = msgspec.field(default_factory=list)


class SetRegisteredModelTag(Request, kw_only=True, frozen=True):
    """POST registered-models/set-tag: set or overwrite a tag of a model."""

    name: str
    key: str
    value: str


class DeleteRegisteredModelTag(Request, kw_only=True, frozen=True):
    """DELETE registered-models/delete-tag: remove a tag of a model."""

    name: str
    key: str


class SetRegisteredModelAlias(Request, kw_only=True, frozen=True):
    """POST registered-models/alias: point an alias at a version."""

    name: str
    alias: str
    version: VersionValue


class DeleteRegisteredModelAlias(Request, kw_only=True, frozen=True):
    """DELETE registered-models/alias: remove an alias."""

    name: str
    alias: str


class GetModelVersionByAlias(Request, kw_only=True, frozen=True):
    """GET registered-models/alias: the version an alias points at."""

    name: str
    alias: str


# -- model versions ----------------------------------------------------------------------


class CreateModelVersion(Request, kw_only=True, frozen=True):
    """POST model-versions/create: the next version of a model, from a source."""

    name: str
    source: str
    run_id: str = ""
    tags: list[WireTag] = msgspec.field(default_factory=list)
    run_link: str = ""
    description: str = ""
    model_id: str = ""
    # A Trackstone addition (MLflow's server takes the user from authentication).
    user_id: str = ""


class ModelVersionResponse(Response, kw_only=True):
    """One model version."""

    model_version: WireModelVersion | None = None


class GetModelVersion(Request, kw_only=True, frozen=True):
    """GET model-versions/get: one version."""

    name: str
    version: VersionValue


class UpdateModelVersion(Request, kw_only=True, frozen=True):
    """PATCH model-versions/update: set a version's description."""

    name: str
    version: VersionValue
    description: str = ""


class DeleteModelVersion(Request, kw_only=True, frozen=True):
    """DELETE model-versions/delete: one version (its number is never reused)."""

    name: str
    version: VersionValue


class TransitionModelVersionStage(Request, kw_only=True, frozen=True):
    """POST model-versions/transition-stage: move a version to a stage."""

    name: str
    version: VersionValue
    stage: str
    archive_existing_versions: bool = False


class GetModelVersionDownloadUri(Request, kw_only=True, frozen=True):
    """GET model-versions/get-download-uri: where a version's files are read from."""

    name: str
    version: VersionValue


class GetModelVersionDownloadUriResponse(Response, kw_only=True):
    """The artifact URI of a version's files."""

    artifact_uri: str = ""


class SearchModelVersions(Request, kw_only=True, frozen=True):
    """GET model-versions/search: a page of versions matching a filter, in order."""

    filter_string: str | None = msgspec.field(default=None, name="filter")
    max_results: Annotated[int, msgspec.Meta(ge=1, le=MODEL_VERSIONS_MAX_RESULTS_LIMIT)] | None = (
        None
    )
    order_by: list[str] = msgspec.field(default_factory=list)
    page_token: str | None = None


class SearchModelVersionsResponse(Response, kw_only=True):
    """A page of versions and the token of the next page (absent at the end)."""

    model_versions: list[WireModelVersion] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class SetModelVersionTag(Request, kw_only=True, frozen=True):
    """POST model-versions/set-tag: set or overwrite a tag of a version."""

    name: str
    version: VersionValue
    key: str
    value: str


class DeleteModelVersionTag(Request, kw_only=True, frozen=True):
    """DELETE model-versions/delete-tag: remove a tag of a version."""

    name: str
    version: VersionValue
    key: str


# -- conversions -------------------------------------------------------------------------


def model_version_to_wire(version: ModelVersion) -> WireModelVersion:
    """Return the wire form of a model version."""
    return WireModelVersion(
        name=version.name,
        version=version.version,
        creation_timestamp=version.creation_timestamp,
        last_updated_timestamp=version.last_updated_timestamp,
        user_id=version.user_id,
        current_stage=version.current_stage.value,
        description=version.description,
        source=version.source,
        run_id=version.run_id,
        status=version.status.value,  # type: ignore[arg-type]  # the enum's values are the names
        status_message=version.status_message,
        tags=[WireTag(key, value) for key, value in version.tags.items()],
        run_link=version.run_link,
        aliases=list(version.aliases),
        model_id=version.model_id,
        storage_location=version.storage_location,
    )


def model_version_from_wire(wire: WireModelVersion) -> ModelVersion:
    """Return the ``ModelVersion`` a wire version describes (an unset stage is ``None``)."""
    status = wire.status
    return ModelVersion(
        name=wire.name,
        version=wire.version,
        creation_timestamp=wire.creation_timestamp or 0,
        last_updated_timestamp=wire.last_updated_timestamp or 0,
        source=wire.source,
        run_id=wire.run_id,
        description=wire.description,
        user_id=wire.user_id,
        current_stage=ModelVersionStage.parse(wire.current_stage or ModelVersionStage.NONE),
        status=_status(status),
        status_message=wire.status_message,
        run_link=wire.run_link,
        model_id=wire.model_id,
        storage_location=wire.storage_location,
        tags={tag.key: tag.value for tag in wire.tags},
        aliases=tuple(wire.aliases),
    )


def _status(value: ModelVersionStatusValue | None) -> ModelVersionStatus:
    if value is None:
        return ModelVersionStatus.READY
    return _STATUS_NUMBERS[value] if isinstance(value, int) else ModelVersionStatus(value)


def registered_model_to_wire(model: RegisteredModel) -> WireRegisteredModel:
    """Return the wire form of a registered model."""
    return WireRegisteredModel(
        name=model.name,
        creation_timestamp=model.creation_timestamp,
        last_updated_timestamp=model.last_updated_timestamp,
        user_id=model.user_id,
        description=model.description,
        latest_versions=[model_version_to_wire(version) for version in model.latest_versions],
        tags=[WireTag(key, value) for key, value in model.tags.items()],
        aliases=[WireRegisteredModelAlias(item.alias, item.version) for item in model.aliases],
    )


def registered_model_from_wire(wire: WireRegisteredModel) -> RegisteredModel:
    """Return the ``RegisteredModel`` a wire model describes."""
    return RegisteredModel(
        name=wire.name,
        creation_timestamp=wire.creation_timestamp or 0,
        last_updated_timestamp=wire.last_updated_timestamp or 0,
        description=wire.description,
        user_id=wire.user_id,
        tags={tag.key: tag.value for tag in wire.tags},
        aliases=tuple(RegisteredModelAlias(item.alias, item.version) for item in wire.aliases),
        latest_versions=tuple(model_version_from_wire(item) for item in wire.latest_versions),
    )


def registered_model_tags_from_wire(items: list[WireTag]) -> list[RegisteredModelTag]:
    """Return a model's tags (the store checks their keys and values)."""
    return [RegisteredModelTag(item.key, item.value) for item in items]


def model_version_tags_from_wire(items: list[WireTag]) -> list[ModelVersionTag]:
    """Return a version's tags (the store checks their keys and values)."""
    return [ModelVersionTag(item.key, item.value) for item in items]
