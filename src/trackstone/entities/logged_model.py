"""Logged models (MLflow 3): a model's files, params and tags, apart from the run that made it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from trackstone.entities.lifecycle import LifecycleStage
from trackstone.errors import InvalidParameter

__all__ = ["MODEL_ID_PREFIX", "LoggedModel", "LoggedModelStatus"]

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
class LoggedModel:
    """A logged model. Its files live under ``artifact_location``; ``params`` are write-once."""

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

    def __post_init__(self) -> None:
        if not self.model_id.startswith(MODEL_ID_PREFIX):
            raise InvalidParameter(
                f"model_id: must start with {MODEL_ID_PREFIX!r}, got {self.model_id!r}"
            )
