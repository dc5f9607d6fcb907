"""Experiments: named groups of runs with a shared artifact location."""

from __future__ import annotations

from dataclasses import dataclass, field

from trackstone.entities.lifecycle import LifecycleStage
from trackstone.entities.validation import (
    MAX_EXPERIMENT_NAME_LENGTH,
    MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    check_key,
    check_length,
)
from trackstone.errors import InvalidParameter

__all__ = ["DEFAULT_EXPERIMENT_ID", "Experiment", "ExperimentTag", "check_experiment_name"]

DEFAULT_EXPERIMENT_ID = "0"


def check_experiment_name(name: object) -> str:
    """Return ``name`` if it is a usable experiment name, else raise ``InvalidParameter``."""
    check_length("experiment name", name, MAX_EXPERIMENT_NAME_LENGTH)
    assert isinstance(name, str)
    if not name.strip():
        raise InvalidParameter("experiment name: must not be empty")
    return name


@dataclass(frozen=True)
class ExperimentTag:
    """A key/value label on an experiment."""

    key: str
    value: str

    def __post_init__(self) -> None:
        check_key("experiment tag key", self.key)
        if not isinstance(self.value, str):
            object.__setattr__(self, "value", str(self.value))
        check_length(
            f"experiment tag {self.key!r} value", self.value, MAX_EXPERIMENT_TAG_VALUE_LENGTH
        )


@dataclass(frozen=True)
class Experiment:
    """An experiment as stored. ``tags`` maps tag keys to values."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None
