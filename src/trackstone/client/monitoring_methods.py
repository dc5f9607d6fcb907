"""Production monitoring for ``TrackstoneClient``: observed metrics checked against baselines."""

from __future__ import annotations

__all__ = ["MonitoringMethods"]


class MonitoringMethods:
    """Log a version's production metrics and check them against its baseline."""
