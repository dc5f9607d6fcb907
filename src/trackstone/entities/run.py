"""Runs: one execution of training code, with its info, data, inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from trackstone.entities.dataset import DatasetInput
from trackstone.entities.lifecycle import LifecycleStage
from trackstone.entities.metric import Metric
from trackstone.entities.validation import check_int64, check_no_nul
from trackstone.errors import InvalidParameter

__all__ = [
    "LoggedModelInput",
    "LoggedModelOutput",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "check_model_id",
]


# A logged model id is "m-" and 32 hex digits; stores keep up to this many characters.
MAX_MODEL_ID_LENGTH = 64


def check_model_id(field: str, model_id: object) -> str:
    """Return ``model_id`` if it is a non-empty string of at most 64 characters.

    Raises:
        InvalidParameter: naming ``field`` and the value.
    """
    if not isinstance(model_id, str) or not model_id:
        raise InvalidParameter(f"{field}: must be a non-empty string, got {model_id!r}")
    if len(model_id) > MAX_MODEL_ID_LENGTH:
        raise InvalidParameter(
            f"{field}: at most {MAX_MODEL_ID_LENGTH} characters, got {len(model_id)}"
        )
    return check_no_nul(field, model_id)


class RunStatus(str, Enum):
    """Where a run is in its life; the last three are terminal."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @classmethod
    def parse(cls, value: RunStatus | str | int) -> RunStatus:
        """Accept a RunStatus, its name, or MLflow's protobuf number (1..5)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            return list(cls)[value - 1]
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        raise InvalidParameter(
            f"status: must be one of {', '.join(cls.__members__)}, got {value!r}"
        )

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)

    # MLflow's RunStatus helpers, under MLflow's names, for scripts that call them.

    @classmethod
    def from_string(cls, status: str) -> RunStatus:
        """Return the status named ``status`` (``"FINISHED"``). Raises InvalidParameter."""
        return cls.parse(status)

    @classmethod
    def to_string(cls, status: RunStatus | str | int) -> str:
        """Return the name of a status (also given as MLflow's number)."""
        return cls.parse(status).value

    @classmethod
    def is_terminated(cls, status: RunStatus | str | int) -> bool:
        """Return whether ``status`` is FINISHED, FAILED or KILLED."""
        return cls.parse(status).is_terminal

    @classmethod
    def all_status(cls) -> list[RunStatus]:
        """Return every status, in MLflow's order."""
        return list(cls)


@dataclass(frozen=True)
class RunInfo:
    """The attributes of a run (everything except its logged data)."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """What was logged to a run: the latest point of each metric, params and tags."""

    latest_metrics: tuple[Metric, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """Map each metric key to its latest value."""
        return {metric.key: metric.value for metric in self.latest_metrics}


@dataclass(frozen=True)
class LoggedModelInput:
    """A logged model a run consumed (MLflow 3), by its id."""

    model_id: str

    def __post_init__(self) -> None:
        check_model_id("model_id", self.model_id)


@dataclass(frozen=True)
class LoggedModelOutput:
    """A logged model a run produced (MLflow 3), by its id, at a step of the run."""

    model_id: str
    step: int = 0

    def __post_init__(self) -> None:
        check_model_id("model_id", self.model_id)
        object.__setattr__(self, "step", check_int64("step", self.step))


@dataclass(frozen=True)
class RunInputs:
    """The datasets and logged models a run consumed."""

    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[LoggedModelInput, ...] = ()


@dataclass(frozen=True)
class RunOutputs:
    """The logged models a run produced."""

    model_outputs: tuple[LoggedModelOutput, ...] = ()


@dataclass(frozen=True)
class Run:
    """A run as stored: info, data, inputs and outputs."""

    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)
