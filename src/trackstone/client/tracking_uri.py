"""The tracking URI ``set_tracking_uri`` chose for this process.

Clients built without a URI or settings of their own follow it, as MLflow's ``MlflowClient()``
follows ``mlflow.set_tracking_uri``; without one they use the environment
(``TRACKSTONE_TRACKING_URI``, ``MLFLOW_TRACKING_URI``) or the default data folder.
"""

from __future__ import annotations

__all__ = ["process_tracking_uri", "set_process_tracking_uri"]

_uri: str | None = None


def set_process_tracking_uri(uri: str) -> None:
    """Make ``uri`` the tracking URI of clients built from now on without one."""
    global _uri
    _uri = uri


def process_tracking_uri() -> str | None:
    """Return the URI ``set_process_tracking_uri`` set last, or None."""
    return _uri
