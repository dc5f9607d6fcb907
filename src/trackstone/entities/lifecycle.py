"""Lifecycle stages and view types shared by experiments and runs."""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = ["LifecycleStage", "ViewType"]


class LifecycleStage(str, Enum):
    """Whether an experiment or run is live or soft-deleted (restorable until gc)."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(IntEnum):
    """Which lifecycle stages a search returns (MLflow's numbering)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def parse(cls, value: ViewType | int | str | None) -> ViewType:
        """Accept a ViewType, its number or its name (``"ACTIVE_ONLY"``); None means active."""
        from trackstone.errors import InvalidParameter

        if value is None:
            return cls.ACTIVE_ONLY
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            if value.upper() in cls.__members__:
                return cls[value.upper()]
            if not value.isdigit():
                raise InvalidParameter(
                    f"view_type: must be ACTIVE_ONLY, DELETED_ONLY or ALL, got {value!r}"
                )
            value = int(value)
        try:
            return cls(value)
        except ValueError:
            raise InvalidParameter(
                f"view_type: must be ACTIVE_ONLY, DELETED_ONLY or ALL, got {value!r}"
            ) from None

    def stages(self) -> tuple[LifecycleStage, ...]:
        """Return the lifecycle stages this view includes."""
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)
