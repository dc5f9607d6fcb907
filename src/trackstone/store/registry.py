"""The ``RegistryStore`` protocol: registered models, versions, aliases, stages and monitoring.

A store that has a model registry exposes one as its ``registry`` attribute
(``SqlStore.registry``, ``RestStore.registry``); ``registry_of(store)`` returns it or refuses.
The contract suite in ``tests/contract/test_registry*.py`` runs against every implementation.

Versions are numbered from 1 per model and never reused, even after a delete. ``version``
arguments accept an int or a string of digits; anything else is InvalidParameter naming the
field. Names are case-sensitive and unique.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

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
from trackstone.errors import InvalidParameter, NotFound

__all__ = [
    "MODEL_VERSIONS_MAX_RESULTS_DEFAULT",
    "MODEL_VERSIONS_MAX_RESULTS_LIMIT",
    "PRODUCTION_METRICS_MAX_RESULTS_DEFAULT",
    "PRODUCTION_METRICS_MAX_RESULTS_LIMIT",
    "PRODUCTION_METRICS_PER_CALL",
    "REGISTERED_MODELS_MAX_RESULTS_DEFAULT",
    "REGISTERED_MODELS_MAX_RESULTS_LIMIT",
    "RegistryStore",
    "check_production_batch",
    "check_registered_models_max_results",
    "registry_of",
]

REGISTERED_MODELS_MAX_RESULTS_DEFAULT = 100
REGISTERED_MODELS_MAX_RESULTS_LIMIT = 1000
MODEL_VERSIONS_MAX_RESULTS_DEFAULT = 10_000
MODEL_VERSIONS_MAX_RESULTS_LIMIT = 200_000
# At most this many points go into one log_production_metrics call, stored all or none, by
# every store (SQL, and over the wire): a batch is atomic whichever store holds the registry.
PRODUCTION_METRICS_PER_CALL = 10_000
# Pages of observations: the wire's default page (when a request names no max_results) and
# the largest page any store hands out in one call.
PRODUCTION_METRICS_MAX_RESULTS_DEFAULT = 10_000
PRODUCTION_METRICS_MAX_RESULTS_LIMIT = 50_000


def check_registered_models_max_results(max_results: object) -> int:
    """Return a ``search_registered_models`` page size: any integer up to the limit.

    As in MLflow, 0 or less asks for an empty page rather than being refused (model version
    searches do refuse it, as MLflow's do).
    """
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidParameter(f"max_results: must be an integer, got {max_results!r}")
    if max_results > REGISTERED_MODELS_MAX_RESULTS_LIMIT:
        raise InvalidParameter(
            f"max_results: must be at most {REGISTERED_MODELS_MAX_RESULTS_LIMIT}, got {max_results}"
        )
    return max_results


@runtime_checkable
class RegistryStore(Protocol):
    """Stores the model registry. Every method raises ``TrackstoneError`` subclasses only."""

    # -- registered models ---------------------------------------------------------------

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str = "",
        user_id: str = "",
    ) -> RegisteredModel:
        """Create a model with no versions. Raises AlreadyExists if the name is taken."""
        ...

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and latest version per stage."""
        ...

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        """Set a model's description; return the model."""
        ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (its versions follow). Raises AlreadyExists if ``new_name`` is taken."""
        ...

    def delete_registered_model(self, name: str) -> None:
        """Delete a model with all its versions, tags, aliases and monitoring data."""
        ...

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = REGISTERED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of models matching the filter (``name``, ``tags.<key>``).

        ``order_by`` takes ``name``, ``creation_timestamp``, ``last_updated_timestamp`` with
        ASC/DESC; the default is ``name ASC``. ``max_results`` of 0 or less gives an empty page
        (with a token for the first page when some model matches and it is 0), as in MLflow.
        """
        ...

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage | str] = ()
    ) -> list[ModelVersion]:
        """Return the newest version of each stage asked (of every stage when none is)."""
        ...

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        """Set (or overwrite) a tag of a model."""
        ...

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a model; a key it lacks is a no-op (MLflow). NotFound: no model."""
        ...

    # -- aliases -------------------------------------------------------------------------

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version``, moving it atomically if it pointed elsewhere."""
        ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias; one the model lacks is a no-op (MLflow). NotFound: no model."""
        ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """Return the version an alias points at; ``latest`` (any case) is the highest version.

        An alias the model lacks is InvalidParameter (MLflow's ``INVALID_PARAMETER_VALUE``);
        a missing model, or ``latest`` of a model without versions, is NotFound.
        """
        ...

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
        """Create the next version of an existing model; return it (status READY).

        ``source`` may be ``runs:/<run_id>/<path>``, ``models:/<model_id>`` (a logged model),
        ``models:/<name>/<version>`` or an artifact URI; the store resolves it once into the
        version's ``storage_location``. Raises NotFound (model, run, logged model) and
        InvalidParameter (an unresolvable source).
        """
        ...

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """Return one version. Raises NotFound."""
        ...

    def update_model_version(self, name: str, version: str | int, description: str) -> ModelVersion:
        """Set a version's description; return the version."""
        ...

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: ModelVersionStage | str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to a stage; with ``archive_existing_versions`` (Staging/Production
        only) archive the other versions in that stage, in the same transaction."""
        ...

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete a version with its tags, aliases and monitoring data; its number stays used."""
        ...

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Return the artifact URI the version's files are read from."""
        ...

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = MODEL_VERSIONS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Return one page of versions matching the filter.

        Filter fields: ``name``, ``version_number``, ``run_id`` (also ``IN``), ``source_path``,
        ``tags.<key>``, ``alias``/``aliases``, ``current_stage``. ``order_by`` takes ``name``,
        ``version_number``, ``creation_timestamp``, ``last_updated_timestamp``; the default is
        MLflow's ``last_updated_timestamp DESC, name ASC, version_number DESC``.
        """
        ...

    def set_model_version_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        """Set (or overwrite) a tag of a version."""
        ...

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        """Remove a tag from a version; a key it lacks is a no-op. NotFound: no version."""
        ...

    def get_model_version_lineage(self, name: str, version: str | int) -> ModelVersionLineage:
        """Return a version with its run (params, metrics, tags, datasets) and experiment."""
        ...

    def run_ids_in_use(self, run_ids: Sequence[str]) -> set[str]:
        """Return those of ``run_ids`` that some model version still needs (for gc)."""
        ...

    # -- production monitoring -----------------------------------------------------------

    def log_production_metrics(
        self, name: str, version: str | int, metrics: Sequence[ProductionMetric]
    ) -> None:
        """Append production observations to a version's series (atomically; a repeated
        (key, timestamp, value) is stored once)."""
        ...

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
        """Return a version's observations, oldest first, within [start, end] when given.

        With ``max_results`` (1 to ``PRODUCTION_METRICS_MAX_RESULTS_LIMIT``) one page comes
        back, its ``token`` naming the next page (None after the last); pass it as
        ``page_token`` with the same other arguments. Without, every observation from
        ``page_token`` on comes back (a remote store pages through them).
        """
        ...

    def set_model_version_baseline(
        self, name: str, version: str | int, metrics: Mapping[str, float]
    ) -> None:
        """Replace a version's explicit baseline (an empty mapping clears it)."""
        ...

    def get_model_version_baseline(self, name: str, version: str | int) -> Baseline:
        """Return the explicit baseline if set, else the latest metrics of the source run."""
        ...


def registry_of(store: object) -> RegistryStore:
    """Return the model registry a tracking store holds. Raises NotFound if it has none."""
    registry = getattr(store, "registry", None)
    if not isinstance(registry, RegistryStore):
        raise NotFound(f"{type(store).__name__} has no model registry")
    return registry


def check_production_batch(metrics: Sequence[ProductionMetric]) -> None:
    """Refuse a ``log_production_metrics`` batch above ``PRODUCTION_METRICS_PER_CALL`` points."""
    if len(metrics) > PRODUCTION_METRICS_PER_CALL:
        raise InvalidParameter(
            f"metrics: at most {PRODUCTION_METRICS_PER_CALL} points per call, got {len(metrics)}"
        )
