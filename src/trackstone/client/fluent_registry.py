"""The fluent model registry functions: ``register_model`` and the two registry searches.

Same names and signatures as ``mlflow``'s, acting through the fluent API's client (so on the
tracking URI set with ``set_tracking_uri``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from trackstone.client.client import warn_unsupported
from trackstone.client.fluent import get_client
from trackstone.client.model_uris import registration_source
from trackstone.client.registry_methods import AWAIT_CREATION_FOR_S_DEFAULT
from trackstone.entities import PagedList
from trackstone.entities.registry import ModelVersion, RegisteredModel
from trackstone.errors import AlreadyExists, InvalidParameter
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    REGISTERED_MODELS_MAX_RESULTS_LIMIT,
)

__all__ = ["register_model", "search_model_versions", "search_registered_models"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = AWAIT_CREATION_FOR_S_DEFAULT,
    *,
    tags: Mapping[str, Any] | None = None,
    env_pack: Any = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as a new version of ``name``; return the version.

    The registered model is created first if it does not exist. ``runs:/<run_id>/<path>``
    records the run as the version's source run (its lineage); ``models:/m-<id>`` registers a
    logged model; ``models:/<name>/<version>`` (or ``@alias``, a stage, ``latest``) copies a
    version of another model.

    Args:
        model_uri: ``runs:/``, ``models:/`` or an artifact URI holding the model's files.
        name: the registered model's name.
        await_registration_for: accepted for MLflow compatibility; versions are READY at once.
        tags: tags of the new version.
        env_pack: accepted for MLflow compatibility and ignored.

    Raises:
        InvalidParameter: the URI is malformed.
        NotFound: the run, logged model or source version does not exist.

    Example:
        >>> version = trackstone.register_model(f"runs:/{run_id}/model", "churn")  # doctest: +SKIP
        >>> version.version  # doctest: +SKIP
        '1'
    """
    warn_unsupported(env_pack=env_pack)
    if not isinstance(model_uri, str) or not model_uri:
        raise InvalidParameter(f"model_uri: must be a non-empty string, got {model_uri!r}")
    client = get_client()
    source = registration_source(client.store, model_uri)
    try:
        client.create_registered_model(name)
    except AlreadyExists:
        logger.info("registered model %r exists; creating a new version of it", name)
    version = client.create_model_version(
        name,
        source.source,
        run_id=source.run_id or None,
        tags=tags,
        await_creation_for=await_registration_for,
        model_id=source.model_id or None,
    )
    logger.info("created version %s of registered model %r", version.version, name)
    return version


def _collect(
    search: Callable[[int, str | None], PagedList[T]], max_results: int | None, page_limit: int
) -> list[T]:
    found: list[T] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        size = page_limit if max_results is None else min(page_limit, max_results - len(found))
        page = search(size, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[RegisteredModel]:
    """Return the registered models matching the filter (all of them when max_results is None).

    Example:
        >>> trackstone.search_registered_models(filter_string="name LIKE 'c%'")  # doctest: +SKIP
    """
    client = get_client()
    return _collect(
        lambda size, token: client.search_registered_models(filter_string, size, order_by, token),
        max_results,
        REGISTERED_MODELS_MAX_RESULTS_LIMIT,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[ModelVersion]:
    """Return the model versions matching the filter (all of them when max_results is None).

    Example:
        >>> trackstone.search_model_versions(filter_string="name = 'churn'")  # doctest: +SKIP
    """
    client = get_client()
    return _collect(
        lambda size, token: client.search_model_versions(filter_string, size, order_by, token),
        max_results,
        MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    )
