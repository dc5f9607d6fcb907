"""Logged models (MLflow 3): a model's files, params, tags and metrics, apart from its run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from trackstone.entities.dataset import MAX_DATASET_DIGEST_LENGTH, MAX_DATASET_NAME_LENGTH
from trackstone.entities.lifecycle import LifecycleStage
from trackstone.entities.metric import Metric
from trackstone.entities.run import check_model_id
from trackstone.entities.validation import check_length
from trackstone.errors import InvalidParameter

__all__ = [
    "MODEL_ID_PREFIX",
    "DatasetFilter",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelStatus",
]

MODEL_ID_PREFIX = "m-"


class LoggedModelStatus(str, Enum):
    """Whether a model's files are still being uploaded, complete, or failed to upload."""

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    @classmethod
    def parse(cls, value: LoggedModelStatus | str | int) -> LoggedModelStatus:
        """Accept a status, its name, MLflow's protobuf name or number (0..3)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
            return list(cls)[value]
        if isinstance(value, str):
            name = value.upper().removeprefix("LOGGED_MODEL_")
            name = {"STATUS_UNSPECIFIED": "UNSPECIFIED", "UPLOAD_FAILED": "FAILED"}.get(name, name)
            if name in cls.__members__:
                return cls[name]
        raise InvalidParameter(
            f"status: must be one of {', '.join(cls.__members__)}, got {value!r}"
        )


@dataclass(frozen=True)
class LoggedModelMetric:
    """A metric point of a run recorded against a logged model, maybe on a dataset.

    What MLflow 3's ``log_metric(..., model_id=..., dataset=...)`` logs: the point also
    belongs to the run's own metrics. ``run_id`` is empty until a store records the point.

    Example:
        >>> LoggedModelMetric("m-1f0c...", Metric("acc", 0.9, 1_700_000_000_000), "eval", "d1")
    """

    model_id: str
    metric: Metric
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str = ""

    def __post_init__(self) -> None:
        check_model_id("model_id", self.model_id)
        if not isinstance(self.metric, Metric):
            raise InvalidParameter(f"metric: must be a Metric, got {type(self.metric).__name__}")
        if self.dataset_name is not None:
            check_length("dataset_name", self.dataset_name, MAX_DATASET_NAME_LENGTH)
        if self.dataset_digest is not None:
            check_length("dataset_digest", self.dataset_digest, MAX_DATASET_DIGEST_LENGTH)


@dataclass(frozen=True)
class DatasetFilter:
    """A dataset a logged model search looks at: by name, and by digest when one is given."""

    dataset_name: str
    dataset_digest: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.dataset_name, str) or not self.dataset_name:
            raise InvalidParameter(
                f"dataset_name: must be a non-empty string, got {self.dataset_name!r}"
            )

    def covers(self, item: LoggedModelMetric) -> bool:
        """Whether a model metric was logged on this dataset."""
        return item.dataset_name == self.dataset_name and (
            not self.dataset_digest or item.dataset_digest == self.dataset_digest
        )


@dataclass(frozen=True)
class LoggedModel:
    """A logged model. Its files live under ``artifact_location``; ``params`` are write-once.

    ``metrics`` holds every point logged against it, in the order they were recorded.
    """

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    status_message: str = ""
    model_type: str = ""
    source_run_id: str = ""
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    metrics: tuple[LoggedModelMetric, ...] = ()

    def __post_init__(self) -> None:
        if not self.model_id.startswith(MODEL_ID_PREFIX):
            raise InvalidParameter(
                f"model_id: must start with {MODEL_ID_PREFIX!r}, got {self.model_id!r}"
            )
