"""Metric points, params and run tags: the records a run is made of."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trackstone.entities.validation import (
    INT64_MAX,
    INT64_MIN,
    KNOWN_GOOD_KEYS,
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    check_int64,
    check_key,
    check_metric_value,
    is_known_good_key,
    truncated_text,
)

__all__ = ["Metric", "Param", "RunTag"]

_new_object = object.__new__


@dataclass(frozen=True)
class Metric:
    """One point of a metric's history. NaN and +/-inf are valid values.

    Example:
        >>> Metric("loss", 0.25, timestamp=1_700_000_000_000, step=3)
    """

    key: str
    value: float
    timestamp: int
    step: int = 0

    def __post_init__(self) -> None:
        # Hot path (every log_metric call): skip the full checks when the fields are plainly fine.
        value, timestamp, step = self.value, self.timestamp, self.step
        if not (type(self.key) is str and is_known_good_key(self.key)):
            check_key("metric key", self.key)
        if type(value) is not float or value != value:
            object.__setattr__(self, "value", check_metric_value(self._field("value"), value))
        if type(timestamp) is not int or not INT64_MIN <= timestamp <= INT64_MAX:
            object.__setattr__(self, "timestamp", check_int64(self._field("timestamp"), timestamp))
        if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            object.__setattr__(self, "step", check_int64(self._field("step"), step))

    @staticmethod
    def plain(key: object, value: object, timestamp: object, step: object) -> bool:
        """Whether these fields make a valid point as they are (no check or conversion needed).

        The same test as the constructor's fast path; False only means "build a ``Metric``".
        """
        return (
            type(key) is str
            and type(value) is float
            and value == value
            and type(timestamp) is int
            and type(step) is int
            and INT64_MIN <= timestamp <= INT64_MAX
            and INT64_MIN <= step <= INT64_MAX
            and (key in KNOWN_GOOD_KEYS or is_known_good_key(key))
        )

    @classmethod
    def unchecked(cls, key: str, value: float, timestamp: int, step: int) -> Metric:
        """Build a point from fields already known valid (read back from a store or a spool).

        Skips validation, which would cost more than the rest of those hot paths per point.
        """
        metric = _new_object(cls)
        fields = metric.__dict__
        fields["key"] = key
        fields["value"] = value
        fields["timestamp"] = timestamp
        fields["step"] = step
        return metric

    def _field(self, name: str) -> str:
        return f"metric {self.key!r} {name}"

    def __eq__(self, other: object) -> bool:
        # NaN points are equal to each other so that round trips compare cleanly.
        if not isinstance(other, Metric):
            return NotImplemented
        same_value = self.value == other.value or (
            math.isnan(self.value) and math.isnan(other.value)
        )
        return (
            same_value
            and self.key == other.key
            and self.timestamp == other.timestamp
            and self.step == other.step
        )

    def __hash__(self) -> int:
        value = "nan" if math.isnan(self.value) else self.value
        return hash((self.key, value, self.timestamp, self.step))


@dataclass(frozen=True)
class Param:
    """A write-once hyperparameter of a run; values are strings of at most 6000 characters.

    A longer value is cut to its first 6000 characters, with a warning, as MLflow does.
    """

    key: str
    value: str

    def __post_init__(self) -> None:
        check_key("param key", self.key)
        if not isinstance(self.value, str):
            object.__setattr__(self, "value", str(self.value))
        value = truncated_text(f"param {self.key!r} value", self.value, MAX_PARAM_VALUE_LENGTH)
        if value is not self.value:
            object.__setattr__(self, "value", value)


@dataclass(frozen=True)
class RunTag:
    """A mutable label on a run; values are strings of at most 8000 characters.

    A longer value is cut to its first 8000 characters, with a warning, as MLflow does.
    """

    key: str
    value: str

    def __post_init__(self) -> None:
        check_key("tag key", self.key)
        if not isinstance(self.value, str):
            object.__setattr__(self, "value", str(self.value))
        value = truncated_text(f"tag {self.key!r} value", self.value, MAX_TAG_VALUE_LENGTH)
        if value is not self.value:
            object.__setattr__(self, "value", value)
