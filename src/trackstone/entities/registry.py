"""The model registry's records: registered models, their versions, aliases, stages and tags.

Field names follow ``mlflow.entities.model_registry`` so that code written for MLflow reads
them unchanged (``creation_timestamp`` and ``last_updated_timestamp`` are milliseconds since
the epoch; ``version`` is a string of digits, as on MLflow's wire).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from trackstone.entities.experiment import Experiment
from trackstone.entities.run import Run
from trackstone.errors import InvalidParameter

__all__ = [
    "Baseline",
    "BaselineOrigin",
    "ModelVersion",
    "ModelVersionLineage",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionTag",
    "ProductionMetric",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
]


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


class ModelVersionStage(str, Enum):
    """The deployment stage of a version (MLflow's legacy workflow; aliases are the new one)."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, value: ModelVersionStage | str) -> ModelVersionStage:
        """Accept a stage or its name in any letter case ("production", "None", ...)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for stage in cls:
                if stage.value.lower() == value.strip().lower():
                    return stage
        names = ", ".join(stage.value for stage in cls)
        raise InvalidParameter(f"stage: must be one of {names}, got {value!r}")


class ModelVersionStatus(str, Enum):
    """Whether a version's registration finished (always READY once created, as in MLflow)."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True)
class RegisteredModelTag:
    """A key/value tag of a registered model (``mlflow.entities.model_registry`` name)."""

    key: str
    value: str


@dataclass(frozen=True)
class ModelVersionTag:
    """A key/value tag of a model version."""

    key: str
    value: str


@dataclass(frozen=True)
class RegisteredModelAlias:
    """An alias (``champion``) pointing at one version of a registered model."""

    alias: str
    version: str


@dataclass(frozen=True)
class ModelVersion:
    """One immutable version of a registered model, numbered from 1 and never reused.

    ``source`` is what the client registered (``runs:/...``, ``models:/m-...`` or a plain
    artifact URI); ``storage_location`` is the artifact URI its files are read from, resolved
    once at registration so that it stays valid after the source run is deleted.
    """

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    source: str = ""
    run_id: str = ""
    description: str = ""
    user_id: str = ""
    current_stage: ModelVersionStage = ModelVersionStage.NONE
    status: ModelVersionStatus = ModelVersionStatus.READY
    status_message: str = ""
    run_link: str = ""
    model_id: str = ""
    storage_location: str = ""
    tags: Mapping[str, str] = field(default_factory=_empty)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegisteredModel:
    """A named model. ``latest_versions`` holds the newest version of each stage."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    user_id: str = ""
    tags: Mapping[str, str] = field(default_factory=_empty)
    aliases: tuple[RegisteredModelAlias, ...] = ()
    latest_versions: tuple[ModelVersion, ...] = ()


@dataclass(frozen=True)
class ProductionMetric:
    """A metric value observed in production for one model version at ``timestamp`` (ms)."""

    key: str
    value: float
    timestamp: int


class BaselineOrigin(str, Enum):
    """Where a version's baseline comes from: set explicitly, or its source run's metrics."""

    EXPLICIT = "explicit"
    SOURCE_RUN = "source_run"
    NONE = "none"


@dataclass(frozen=True)
class Baseline:
    """The metric values a version is expected to keep in production."""

    metrics: Mapping[str, float]
    origin: BaselineOrigin


@dataclass(frozen=True)
class ModelVersionLineage:
    """A version with where it came from: its run (params, metrics, datasets) and experiment.

    ``run`` and ``experiment`` are None when the version names no run or the run was purged.
    """

    model_version: ModelVersion
    run: Run | None
    experiment: Experiment | None
