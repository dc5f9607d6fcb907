"""``mlflow.exceptions`` look-alike: ``from trackstone.exceptions import MlflowException`` works.

``MlflowException`` is ``TrackstoneError``, the base of every error Trackstone raises, so an
``except MlflowException`` written for MLflow catches ours; ``error.error_code`` holds the
MLflow error code name (``RESOURCE_DOES_NOT_EXIST``, ...), as on MLflow's exception.
"""

from __future__ import annotations

from trackstone.errors import TrackstoneError

__all__ = ["MlflowException", "TrackstoneError"]

MlflowException = TrackstoneError
