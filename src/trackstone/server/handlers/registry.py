"""Model registry endpoints (MLflow REST API 2.0): registered models, versions, tags, aliases."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.messages import EmptyResponse
from trackstone.api.registry import (
    CreateModelVersion,
    CreateRegisteredModel,
    DeleteModelVersion,
    DeleteModelVersionTag,
    DeleteRegisteredModel,
    DeleteRegisteredModelAlias,
    DeleteRegisteredModelTag,
    GetLatestVersions,
    GetModelVersion,
    GetModelVersionByAlias,
    GetModelVersionDownloadUri,
    GetModelVersionDownloadUriResponse,
    GetRegisteredModel,
    ModelVersionResponse,
    ModelVersionsResponse,
    RegisteredModelResponse,
    RenameRegisteredModel,
    SearchModelVersions,
    SearchModelVersionsResponse,
    SearchRegisteredModels,
    SearchRegisteredModelsResponse,
    SetModelVersionTag,
    SetRegisteredModelAlias,
    SetRegisteredModelTag,
    TransitionModelVersionStage,
    UpdateModelVersion,
    UpdateRegisteredModel,
    model_version_tags_from_wire,
    model_version_to_wire,
    registered_model_tags_from_wire,
    registered_model_to_wire,
)
from trackstone.entities.registry import ModelVersion, ModelVersionTag, RegisteredModelTag
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
    registry_of,
)

__all__ = [
    "create_model_version",
    "create_registered_model",
    "delete_model_version",
    "delete_model_version_tag",
    "delete_registered_model",
    "delete_registered_model_alias",
    "delete_registered_model_tag",
    "get_latest_versions",
    "get_model_version",
    "get_model_version_by_alias",
    "get_model_version_download_uri",
    "get_registered_model",
    "rename_registered_model",
    "search_model_versions",
    "search_registered_models",
    "set_model_version_tag",
    "set_registered_model_alias",
    "set_registered_model_tag",
    "transition_model_version_stage",
    "update_model_version",
    "update_registered_model",
]


def _version_response(version: ModelVersion) -> Response:
    return respond(ModelVersionResponse(model_version=model_version_to_wire(version)))


# -- registered models -------------------------------------------------------------------


async def create_registered_model(request: Request, store: TrackingStore) -> Response:
    """Create a registered model; answer it."""
    message = await parse(request, CreateRegisteredModel)
    model = await run_in_threadpool(
        registry_of(store).create_registered_model,
        message.name,
        registered_model_tags_from_wire(message.tags),
        message.description,
        message.user_id,
    )
    return respond(RegisteredModelResponse(registered_model=registered_model_to_wire(model)))


async def get_registered_model(request: Request, store: TrackingStore) -> Response:
    """Answer a registered model."""
    message = await parse(request, GetRegisteredModel)
    model = await run_in_threadpool(registry_of(store).get_registered_model, message.name)
    return respond(RegisteredModelResponse(registered_model=registered_model_to_wire(model)))


async def rename_registered_model(request: Request, store: TrackingStore) -> Response:
    """Rename a registered model; answer it under its new name."""
    message = await parse(request, RenameRegisteredModel)
    model = await run_in_threadpool(
        registry_of(store).rename_registered_model, message.name, message.new_name
    )
    return respond(RegisteredModelResponse(registered_model=registered_model_to_wire(model)))


async def update_registered_model(request: Request, store: TrackingStore) -> Response:
    """Set a registered model's description; answer the model."""
    message = await parse(request, UpdateRegisteredModel)
    model = await run_in_threadpool(
        registry_of(store).update_registered_model, message.name, message.description
    )
    return respond(RegisteredModelResponse(registered_model=registered_model_to_wire(model)))


async def delete_registered_model(request: Request, store: TrackingStore) -> Response:
    """Delete a registered model with its versions."""
    message = await parse(request, DeleteRegisteredModel)
    await run_in_threadpool(registry_of(store).delete_registered_model, message.name)
    return respond(EmptyResponse())


async def search_registered_models(request: Request, store: TrackingStore) -> Response:
    """Answer one page of registered models matching a filter."""
    message = await parse(request, SearchRegisteredModels)
    page = await run_in_threadpool(
        registry_of(store).search_registered_models,
        message.filter_string,
        REGISTERED_MODELS_MAX_RESULTS_DEFAULT
        if message.max_results is None
        else message.max_results,
        message.order_by,
        message.page_token,
    )
    return respond(
        SearchRegisteredModelsResponse(
            registered_models=[registered_model_to_wire(model) for model in page],
            next_page_token=page.token,
        )
    )


async def get_latest_versions(request: Request, store: TrackingStore) -> Response:
    """Answer the newest version of each stage asked."""
    message = await parse(request, GetLatestVersions)
    versions = await run_in_threadpool(
        registry_of(store).get_latest_versions, message.name, message.stages
    )
    return respond(
        ModelVersionsResponse(model_versions=[model_version_to_wire(item) for item in versions])
    )


async def set_registered_model_tag(request: Request, store: TrackingStore) -> Response:
    """Set a tag of a registered model."""
    message = await parse(request, SetRegisteredModelTag)
    tag = RegisteredModelTag(message.key, message.value)
    await run_in_threadpool(registry_of(store).set_registered_model_tag, message.name, tag)
    return respond(EmptyResponse())


async def delete_registered_model_tag(request: Request, store: TrackingStore) -> Response:
    """Remove a tag of a registered model."""
    message = await parse(request, DeleteRegisteredModelTag)
    await run_in_threadpool(
        registry_of(store).delete_registered_model_tag, message.name, message.key
    )
    return respond(EmptyResponse())


# -- aliases -----------------------------------------------------------------------------


async def set_registered_model_alias(request: Request, store: TrackingStore) -> Response:
    """Point an alias at a version."""
    message = await parse(request, SetRegisteredModelAlias)
    await run_in_threadpool(
        registry_of(store).set_registered_model_alias,
        message.name,
        message.alias,
        message.version,
    )
    return respond(EmptyResponse())


async def delete_registered_model_alias(request: Request, store: TrackingStore) -> Response:
    """Remove an alias."""
    message = await parse(request, DeleteRegisteredModelAlias)
    await run_in_threadpool(
        registry_of(store).delete_registered_model_alias, message.name, message.alias
    )
    return respond(EmptyResponse())


async def get_model_version_by_alias(request: Request, store: TrackingStore) -> Response:
    """Answer the version an alias points at."""
    message = await parse(request, GetModelVersionByAlias)
    version = await run_in_threadpool(
        registry_of(store).get_model_version_by_alias, message.name, message.alias
    )
    return _version_response(version)


# -- model versions ----------------------------------------------------------------------


async def create_model_version(request: Request, store: TrackingStore) -> Response:
    """Create the next version of a model; answer it."""
    message = await parse(request, CreateModelVersion)
    version = await run_in_threadpool(
        registry_of(store).create_model_version,
        message.name,
        message.source,
        message.run_id,
        model_version_tags_from_wire(message.tags),
        message.run_link,
        message.description,
        message.user_id,
        message.model_id,
    )
    return _version_response(version)


async def get_model_version(request: Request, store: TrackingStore) -> Response:
    """Answer one version."""
    message = await parse(request, GetModelVersion)
    version = await run_in_threadpool(
        registry_of(store).get_model_version, message.name, message.version
    )
    return _version_response(version)


async def update_model_version(request: Request, store: TrackingStore) -> Response:
    """Set a version's description; answer the version."""
    message = await parse(request, UpdateModelVersion)
    version = await run_in_threadpool(
        registry_of(store).update_model_version,
        message.name,
        message.version,
        message.description,
    )
    return _version_response(version)


async def delete_model_version(request: Request, store: TrackingStore) -> Response:
    """Delete one version."""
    message = await parse(request, DeleteModelVersion)
    await run_in_threadpool(registry_of(store).delete_model_version, message.name, message.version)
    return respond(EmptyResponse())


async def transition_model_version_stage(request: Request, store: TrackingStore) -> Response:
    """Move a version to a stage; answer the version."""
    message = await parse(request, TransitionModelVersionStage)
    version = await run_in_threadpool(
        registry_of(store).transition_model_version_stage,
        message.name,
        message.version,
        message.stage,
        message.archive_existing_versions,
    )
    return _version_response(version)


async def get_model_version_download_uri(request: Request, store: TrackingStore) -> Response:
    """Answer the artifact URI a version's files are read from."""
    message = await parse(request, GetModelVersionDownloadUri)
    uri = await run_in_threadpool(
        registry_of(store).get_model_version_download_uri, message.name, message.version
    )
    return respond(GetModelVersionDownloadUriResponse(artifact_uri=uri))


async def search_model_versions(request: Request, store: TrackingStore) -> Response:
    """Answer one page of versions matching a filter."""
    message = await parse(request, SearchModelVersions)
    page = await run_in_threadpool(
        registry_of(store).search_model_versions,
        message.filter_string,
        message.max_results or MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        message.order_by,
        message.page_token,
    )
    return respond(
        SearchModelVersionsResponse(
            model_versions=[model_version_to_wire(version) for version in page],
            next_page_token=page.token,
        )
    )


async def set_model_version_tag(request: Request, store: TrackingStore) -> Response:
    """Set a tag of a version."""
    message = await parse(request, SetModelVersionTag)
    tag = ModelVersionTag(message.key, message.value)
    await run_in_threadpool(
        registry_of(store).set_model_version_tag, message.name, message.version, tag
    )
    return respond(EmptyResponse())


async def delete_model_version_tag(request: Request, store: TrackingStore) -> Response:
    """Remove a tag of a version."""
    message = await parse(request, DeleteModelVersionTag)
    await run_in_threadpool(
        registry_of(store).delete_model_version_tag, message.name, message.version, message.key
    )
    return respond(EmptyResponse())
