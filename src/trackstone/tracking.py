"""``mlflow.tracking`` look-alike: ``from trackstone.tracking import MlflowClient`` works."""

from __future__ import annotations

from trackstone.client.client import TrackstoneClient
from trackstone.client.fluent import get_tracking_uri, set_tracking_uri

__all__ = ["MlflowClient", "TrackstoneClient", "get_tracking_uri", "set_tracking_uri"]

MlflowClient = TrackstoneClient
