"""``SqlRegistry``: the ``RegistryStore`` on the tracking database, one module per concern.

Models, aliases and tags are in ``registry_models``; versions in ``registry_versions`` (source
resolution in ``registry_sources``); searches in ``registry_search``; lineage and gc help in
``registry_lineage``; production monitoring in ``registry_monitoring``. Tables:
``registry_tables`` (migration 0003).

Example:
    >>> store = SqlStore("sqlite:///tmp/trackstone.db", artifact_root="/tmp/artifacts")
    >>> store.registry.create_registered_model("churn")
    >>> store.registry.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from trackstone.clock import Clock
from trackstone.entities import PagedList
from trackstone.entities.registry import (
    Baseline,
    ModelVersion,
    ModelVersionLineage,
    ModelVersionStage,
    ModelVersionTag,
    ProductionMetric,
    RegisteredModel,
    RegisteredModelTag,
)
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
    REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
)
from trackstone.store.sql.engine import Database
from trackstone.store.sql.registry_lineage import RegistryLineage
from trackstone.store.sql.registry_models import SqlRegisteredModels
from trackstone.store.sql.registry_monitoring import RegistryMonitoring
from trackstone.store.sql.registry_search import RegistrySearch
from trackstone.store.sql.registry_versions import SqlModelVersions

__all__ = ["SqlRegistry"]


class SqlRegistry:
    """A ``RegistryStore`` over SQLAlchemy Core (SQLite and PostgreSQL).

    Args:
        db: the tracking database (the registry's tables live beside the runs').
        clock: the time source for creation and update timestamps.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self._models = SqlRegisteredModels(db, clock)
        self._versions = SqlModelVersions(db, clock)
        self._search = RegistrySearch(db)
        self._lineage = RegistryLineage(db)
        self._monitoring = RegistryMonitoring(db)

    # -- registered models ---------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str = "",
        user_id: str = "",
    ) -> RegisteredModel:
        return self._models.create(name, tags, description, user_id)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._models.get(name)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return self._models.update(name, description)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._models.rename(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        self._models.delete(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        return self._search.models(filter_string, max_results, order_by, page_token)

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage | str] = ()
    ) -> list[ModelVersion]:
        return self._models.latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        self._models.set_tag(name, tag)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._models.delete_tag(name, key)

    # -- aliases -------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self._models.set_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._models.delete_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._models.version_by_alias(name, alias)

    # -- model versions ------------------------------------------------------------------

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str = "",
        tags: Sequence[ModelVersionTag] = (),
        run_link: str = "",
        description: str = "",
        user_id: str = "",
        model_id: str = "",
    ) -> ModelVersion:
        return self._versions.create(
            name, source, run_id, tags, run_link, description, user_id, model_id
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self._versions.get(name, version)

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        return self._versions.update(name, version, description)

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: ModelVersionStage | str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        return self._versions.transition(name, version, stage, archive_existing_versions)

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._versions.delete(name, version)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self._versions.download_uri(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        return self._search.versions(filter_string, max_results, order_by, page_token)

    def set_model_version_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        self._versions.set_tag(name, version, tag)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self._versions.delete_tag(name, version, key)

    def get_model_version_lineage(self, name: str, version: str | int) -> ModelVersionLineage:
        return self._lineage.lineage(name, version)

    def run_ids_in_use(self, run_ids: Sequence[str]) -> set[str]:
        return self._lineage.run_ids_in_use(run_ids)

    # -- production monitoring -----------------------------------------------------------

    def log_production_metrics(
        self, name: str, version: str | int, metrics: Sequence[ProductionMetric]
    ) -> None:
        self._monitoring.log(name, version, metrics)

    def get_production_metrics(
        self,
        name: str,
        version: str | int,
        key: str | None = None,
        start_timestamp: int | None = None,
        end_timestamp: int | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[ProductionMetric]:
        return self._monitoring.read(
            name, version, key, start_timestamp, end_timestamp, max_results, page_token
        )

    def set_model_version_baseline(
        self, name: str, version: str | int, metrics: Mapping[str, float]
    ) -> None:
        self._monitoring.set_baseline(name, version, metrics)

    def get_model_version_baseline(self, name: str, version: str | int) -> Baseline:
        return self._monitoring.baseline(name, version)
