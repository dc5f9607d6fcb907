"""The model registry half of ``TrackstoneClient``: ``MlflowClient``'s registry methods.

Names, argument names and return types follow ``mlflow.MlflowClient`` (tags are dicts; a
``version`` may be an int or a string of digits). The work is done by the tracking store's
``RegistryStore`` (``client.registry``), the same locally and over REST.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from trackstone.entities import PagedList
from trackstone.entities.registry import (
    ModelVersion,
    ModelVersionLineage,
    ModelVersionStage,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
)

if TYPE_CHECKING:
    from trackstone.store.base import TrackingStore
    from trackstone.store.registry import RegistryStore

__all__ = ["ModelVersionMethods", "RegisteredModelMethods", "RegistryMethods"]

# MLflow waits this long for a version to become READY; ours are READY once created.
AWAIT_CREATION_FOR_S_DEFAULT = 300


class _Client(Protocol):
    """What the registry mixins need from the client they are part of."""

    @property
    def store(self) -> TrackingStore: ...

    @property
    def registry(self) -> RegistryStore: ...

    def flush(self, run_id: str | None = None) -> bool: ...


def _text(value: Any) -> str:
    # MLflow stringifies tag values (numbers, bools) before sending them.
    return value if isinstance(value, str) else str(value)


def _optional_text(name: str, value: str | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{name}: must be a string, got {value!r}")
    return value


def _model_tags(tags: Mapping[str, Any] | None) -> list[RegisteredModelTag]:
    return [RegisteredModelTag(key, _text(value)) for key, value in (tags or {}).items()]


def _version_tags(tags: Mapping[str, Any] | None) -> list[ModelVersionTag]:
    return [ModelVersionTag(key, _text(value)) for key, value in (tags or {}).items()]


class RegisteredModelMethods:
    """Registered models, their tags and aliases (same names as ``MlflowClient``'s)."""

    @property
    def registry(self: _Client) -> RegistryStore:
        """The model registry of this client's tracking store.

        Raises:
            NotFound: the store has no model registry.
        """
        from trackstone.store.registry import registry_of

        return registry_of(self.store)

    def create_registered_model(
        self: _Client,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create a model with no versions.

        Raises:
            AlreadyExists: a model with this name exists.

        Example:
            >>> client.create_registered_model("churn", tags={"team": "growth"})  # doctest: +SKIP
        """
        from trackstone.client.client import warn_unsupported

        warn_unsupported(deployment_job_id=deployment_job_id)
        return self.registry.create_registered_model(
            name, _model_tags(tags), _optional_text("description", description)
        )

    def get_registered_model(self: _Client, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and newest version per stage. Raises NotFound."""
        return self.registry.get_registered_model(name)

    def rename_registered_model(self: _Client, name: str, new_name: str) -> RegisteredModel:
        """Rename a model; its versions and aliases follow. Raises AlreadyExists if taken."""
        return self.registry.rename_registered_model(name, new_name)

    def update_registered_model(
        self: _Client,
        name: str,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Set a model's description (None leaves it as it is); return the model."""
        from trackstone.client.client import warn_unsupported

        warn_unsupported(deployment_job_id=deployment_job_id)
        if description is None:
            return self.registry.get_registered_model(name)
        return self.registry.update_registered_model(
            name, _optional_text("description", description)
        )

    def delete_registered_model(self: _Client, name: str) -> None:
        """Delete a model with all its versions, tags and aliases."""
        self.registry.delete_registered_model(name)

    def search_registered_models(
        self: _Client,
        filter_string: str | None = None,
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of models matching the filter (``name LIKE 'churn%'``, ``tags.k = 'v'``).

        Example:
            >>> client.search_registered_models("name LIKE 'churn%'")  # doctest: +SKIP
        """
        return self.registry.search_registered_models(
            filter_string or None, max_results, order_by, page_token
        )

    def get_latest_versions(
        self: _Client, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Return the newest version of each stage asked (of every stage when None)."""
        return self.registry.get_latest_versions(name, list(stages or ()))

    def set_registered_model_tag(self: _Client, name: str, key: str, value: Any) -> None:
        """Set (or overwrite) a tag of a model."""
        self.registry.set_registered_model_tag(name, RegisteredModelTag(key, _text(value)))

    def delete_registered_model_tag(self: _Client, name: str, key: str) -> None:
        """Remove a tag from a model (a no-op if it has none). Raises NotFound for no model."""
        self.registry.delete_registered_model_tag(name, key)

    def set_registered_model_alias(
        self: _Client, name: str, alias: str, version: str | int
    ) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed at another version)."""
        self.registry.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self: _Client, name: str, alias: str) -> None:
        """Remove an alias (a no-op if the model has none). Raises NotFound for no model."""
        self.registry.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self: _Client, name: str, alias: str) -> ModelVersion:
        """Return the version an alias (or ``latest``) names; InvalidParameter if no such alias."""
        return self.registry.get_model_version_by_alias(name, alias)


class ModelVersionMethods:
    """Model versions: create, read, stage, tag, delete (same names as ``MlflowClient``'s)."""

    def create_model_version(
        self: _Client,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = AWAIT_CREATION_FOR_S_DEFAULT,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Create the next version of an existing model from ``source``; return it (READY).

        Args:
            name: the registered model (create it first).
            source: where the files are: ``runs:/<run_id>/<path>``, ``models:/m-<id>``,
                ``models:/<name>/<version>`` or an artifact URI. The store resolves it once,
                so the version keeps reading the same files.
            run_id: the run that produced the model (filled from a ``runs:/`` source).
            await_creation_for: accepted for MLflow compatibility; versions are READY at once.

        Raises:
            NotFound: the model, the run or the logged model does not exist.

        Example:
            >>> client.create_model_version("churn", f"runs:/{run_id}/model")  # doctest: +SKIP
        """
        from trackstone.client.model_uris import is_runs_uri, parse_runs_uri

        if not isinstance(source, str) or not source:
            raise InvalidParameter(f"source: must be a non-empty string, got {source!r}")
        run = _optional_text("run_id", run_id)
        if not run and is_runs_uri(source):
            run = parse_runs_uri(source, "source").run_id
        if run:
            self.flush(run)  # so the version's lineage sees everything logged so far
        return self.registry.create_model_version(
            name,
            source,
            run_id=run,
            tags=_version_tags(tags),
            run_link=_optional_text("run_link", run_link),
            description=_optional_text("description", description),
            model_id=_optional_text("model_id", model_id),
        )

    def get_model_version(self: _Client, name: str, version: str | int) -> ModelVersion:
        """Return one version. Raises NotFound."""
        return self.registry.get_model_version(name, version)

    def update_model_version(
        self: _Client, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        """Set a version's description (None leaves it as it is); return the version."""
        if description is None:
            return self.registry.get_model_version(name, version)
        return self.registry.update_model_version(
            name, version, _optional_text("description", description)
        )

    def transition_model_version_stage(
        self: _Client,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to a stage (None, Staging, Production, Archived; any letter case).

        With ``archive_existing_versions`` the other versions in Staging/Production are
        archived in the same transaction.
        """
        return self.registry.transition_model_version_stage(
            name, version, ModelVersionStage.parse(stage), archive_existing_versions
        )

    def delete_model_version(self: _Client, name: str, version: str | int) -> None:
        """Delete a version with its tags and aliases; its number is never reused."""
        self.registry.delete_model_version(name, version)

    def get_model_version_download_uri(self: _Client, name: str, version: str | int) -> str:
        """Return the artifact URI the version's files are read from."""
        return self.registry.get_model_version_download_uri(name, version)

    def search_model_versions(
        self: _Client,
        filter_string: str | None = None,
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return one page of versions matching the filter (``name = 'churn'``, ``run_id = '…'``).

        Example:
            >>> client.search_model_versions("name = 'churn'")  # doctest: +SKIP
        """
        return self.registry.search_model_versions(
            filter_string or None, max_results, order_by, page_token
        )

    def set_model_version_tag(
        self: _Client,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        """Set (or overwrite) a tag of a version, named by number or by stage (its newest)."""
        chosen = _version_or_stage(self.registry, name, version, stage)
        if key is None:
            raise InvalidParameter("key: a tag key is required")
        self.registry.set_model_version_tag(name, chosen, ModelVersionTag(key, _text(value)))

    def delete_model_version_tag(
        self: _Client,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        """Remove a tag from a version, named by number or by stage. Raises NotFound."""
        chosen = _version_or_stage(self.registry, name, version, stage)
        if key is None:
            raise InvalidParameter("key: a tag key is required")
        self.registry.delete_model_version_tag(name, chosen, key)

    def get_model_version_lineage(
        self: _Client, name: str, version: str | int
    ) -> ModelVersionLineage:
        """Return a version with its source run (params, metrics, datasets) and experiment.

        The run and experiment are None when the version names no run or the run was purged.
        """
        return self.registry.get_model_version_lineage(name, version)


def _version_or_stage(
    registry: RegistryStore, name: str, version: str | int | None, stage: str | None
) -> str | int:
    """Return ``version``, or the newest version in ``stage`` (exactly one must be given)."""
    if (version is None) == (stage is None):
        raise InvalidParameter("give exactly one of version and stage")
    if version is not None:
        return version
    assert stage is not None
    parsed = ModelVersionStage.parse(stage)
    latest = registry.get_latest_versions(name, [parsed])
    if not latest:
        raise NotFound(f"model {name!r} has no version in stage {parsed.value}")
    return latest[0].version


class RegistryMethods(RegisteredModelMethods, ModelVersionMethods):
    """The whole registry surface of ``TrackstoneClient`` (models, then versions)."""
