"""Logged model endpoints (MLflow 3): create, get, finalize, delete, tags, params, search."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackstone.api.logged_models import (
    CreateLoggedModel,
    DeleteLoggedModel,
    DeleteLoggedModelTag,
    FinalizeLoggedModel,
    GetLoggedModel,
    LoggedModelResponse,
    LogLoggedModelParams,
    SearchLoggedModels,
    SearchLoggedModelsResponse,
    SetLoggedModelTags,
    logged_model_status,
    logged_model_to_wire,
)
from trackstone.api.messages import EmptyResponse
from trackstone.api.records import params_from_wire, tags_from_wire
from trackstone.server.bodies import parse, respond
from trackstone.store.base import TrackingStore
from trackstone.store.logged_models import LOGGED_MODELS_MAX_RESULTS_DEFAULT, logged_models_of

__all__ = [
    "create_logged_model",
    "delete_logged_model",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "get_logged_model",
    "log_logged_model_params",
    "search_logged_models",
    "set_logged_model_tags",
]

T = TypeVar("T", bound=msgspec.Struct)


async def _parse_with_path(request: Request, struct_type: type[T]) -> T:
    """Parse the request, then take ``model_id`` / ``tag_key`` from the path (they win)."""
    message = await parse(request, struct_type)
    return msgspec.structs.replace(message, **request.path_params)


async def create_logged_model(request: Request, store: TrackingStore) -> Response:
    """Create a PENDING logged model; answer it."""
    message = await parse(request, CreateLoggedModel)
    models = logged_models_of(store)
    model = await run_in_threadpool(
        models.create_logged_model,
        message.experiment_id,
        message.name,
        message.source_run_id,
        message.model_type,
        params_from_wire(message.params),
        tags_from_wire(message.tags),
    )
    return respond(LoggedModelResponse(model=logged_model_to_wire(model)))


async def get_logged_model(request: Request, store: TrackingStore) -> Response:
    """Answer a logged model."""
    message = await _parse_with_path(request, GetLoggedModel)
    models = logged_models_of(store)
    model = await run_in_threadpool(
        models.get_logged_model, message.model_id, message.allow_deleted
    )
    return respond(LoggedModelResponse(model=logged_model_to_wire(model)))


async def finalize_logged_model(request: Request, store: TrackingStore) -> Response:
    """Set a logged model's final status; answer the model."""
    message = await _parse_with_path(request, FinalizeLoggedModel)
    status = logged_model_status(message.status)
    models = logged_models_of(store)
    model = await run_in_threadpool(models.finalize_logged_model, message.model_id, status)
    return respond(LoggedModelResponse(model=logged_model_to_wire(model)))


async def delete_logged_model(request: Request, store: TrackingStore) -> Response:
    """Soft-delete a logged model."""
    message = await _parse_with_path(request, DeleteLoggedModel)
    await run_in_threadpool(logged_models_of(store).delete_logged_model, message.model_id)
    return respond(EmptyResponse())


async def set_logged_model_tags(request: Request, store: TrackingStore) -> Response:
    """Set tags of a logged model; answer the model."""
    message = await _parse_with_path(request, SetLoggedModelTags)
    tags = tags_from_wire(message.tags)
    models = logged_models_of(store)
    await run_in_threadpool(models.set_logged_model_tags, message.model_id, tags)
    model = await run_in_threadpool(models.get_logged_model, message.model_id)
    return respond(LoggedModelResponse(model=logged_model_to_wire(model)))


async def delete_logged_model_tag(request: Request, store: TrackingStore) -> Response:
    """Remove a tag from a logged model."""
    message = await _parse_with_path(request, DeleteLoggedModelTag)
    models = logged_models_of(store)
    await run_in_threadpool(models.delete_logged_model_tag, message.model_id, message.tag_key)
    return respond(EmptyResponse())


async def log_logged_model_params(request: Request, store: TrackingStore) -> Response:
    """Set write-once params of a logged model."""
    message = await _parse_with_path(request, LogLoggedModelParams)
    params = params_from_wire(message.params)
    models = logged_models_of(store)
    await run_in_threadpool(models.log_logged_model_params, message.model_id, params)
    return respond(EmptyResponse())


async def search_logged_models(request: Request, store: TrackingStore) -> Response:
    """Answer one page of logged models matching a filter."""
    message = await parse(request, SearchLoggedModels)
    models = logged_models_of(store)
    page = await run_in_threadpool(
        models.search_logged_models,
        message.experiment_ids,
        message.filter_string,
        message.max_results or LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        message.order_by_items(),
        message.page_token,
        message.dataset_filters(),
    )
    return respond(
        SearchLoggedModelsResponse(
            models=[logged_model_to_wire(model) for model in page], next_page_token=page.token
        )
    )
