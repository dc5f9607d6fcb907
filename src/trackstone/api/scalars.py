"""Scalar wire types: int64/int32 ranges, metric numbers and the enums sent by name or number.

Requests are decoded in msgspec's lax mode, which gives the protobuf JSON mapping for free:
integers may arrive as JSON numbers or decimal strings (``"1700000000000"``), doubles as
numbers or the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``, enums by name or number.
"""

from __future__ import annotations

from typing import Annotated, Literal, cast

import msgspec

from trackstone.entities import RunStatus, ViewType

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "Int32",
    "Int64",
    "MetricValue",
    "NonFiniteName",
    "PositiveInt32",
    "RunStatusValue",
    "ViewTypeValue",
    "run_status",
    "run_status_name",
    "view_type",
    "wire_number",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
Int32 = Annotated[int, msgspec.Meta(ge=INT32_MIN, le=INT32_MAX)]
PositiveInt32 = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]

NonFiniteName = Literal["NaN", "Infinity", "-Infinity"]
# Decoding always yields a float (lax mode turns "NaN" into nan); the names exist so that
# encoders can write protobuf's spelling of the values JSON numbers cannot carry.
MetricValue = float | NonFiniteName

ViewTypeValue = Literal["ACTIVE_ONLY", "DELETED_ONLY", "ALL", 1, 2, 3]
RunStatusValue = Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED", 1, 2, 3, 4, 5]


def wire_number(value: float) -> float | NonFiniteName:
    """Return ``value``, or its protobuf JSON name when it is NaN or infinite."""
    if value - value == 0.0:
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def view_type(value: ViewTypeValue | None) -> ViewType:
    """Return the ViewType a wire value names (None means active only)."""
    return ViewType.parse(value)


def run_status(value: RunStatusValue) -> RunStatus:
    """Return the RunStatus a wire value names."""
    return RunStatus.parse(value)


def run_status_name(status: RunStatus) -> RunStatusValue:
    """Return the name a RunStatus is sent as."""
    return cast(RunStatusValue, status.value)
