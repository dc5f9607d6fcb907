"""Trackstone: fast, durable experiment tracking that speaks the MLflow REST API.

The fluent API mirrors ``mlflow``'s, so ``import trackstone as mlflow`` runs MLflow scripts::

    import trackstone

    trackstone.set_experiment("demo")
    with trackstone.start_run():
        trackstone.log_param("lr", 0.01)
        trackstone.log_metric("loss", 0.25, step=1)

Names are loaded on first use (module ``__getattr__``), so ``import trackstone`` stays light:
it imports no SQLAlchemy, pandas or numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from trackstone import artifacts, data, entities, exceptions, tracking
    from trackstone.client.client import TrackstoneClient
    from trackstone.client.client import TrackstoneClient as MlflowClient
    from trackstone.client.context import ActiveRun
    from trackstone.client.fluent import (
        active_run,
        create_experiment,
        delete_experiment,
        delete_run,
        delete_tag,
        end_run,
        flush_async_logging,
        get_experiment,
        get_experiment_by_name,
        get_metric_history,
        get_run,
        get_tracking_uri,
        last_active_run,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        set_experiment,
        set_experiment_tag,
        set_experiment_tags,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
    from trackstone.client.fluent_artifacts import (
        get_artifact_uri,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_table,
        log_text,
    )
    from trackstone.client.fluent_registry import (
        register_model,
        search_model_versions,
        search_registered_models,
    )
    from trackstone.client.fluent_search import (
        search_experiments,
        search_runs,
    )
    from trackstone.errors import TrackstoneError

    MlflowException = TrackstoneError

_FLUENT = (
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_async_logging",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
)
_FLUENT_ARTIFACTS = (
    "get_artifact_uri",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_table",
    "log_text",
)
_FLUENT_SEARCH = (
    "search_experiments",
    "search_runs",
)
_FLUENT_REGISTRY = (
    "register_model",
    "search_model_versions",
    "search_registered_models",
)
# Loaded on first attribute access (`mlflow.pyfunc.load_model(...)` works without an import).
_SUBMODULES = (
    "artifacts",
    "data",
    "entities",
    "exceptions",
    "lightgbm",
    "models",
    "pyfunc",
    "pytorch",
    "sklearn",
    "tracking",
    "xgboost",
)

# name -> (module, attribute in it)
_LAZY: dict[str, tuple[str, str]] = {
    **{name: ("trackstone.client.fluent", name) for name in _FLUENT},
    **{name: ("trackstone.client.fluent_artifacts", name) for name in _FLUENT_ARTIFACTS},
    **{name: ("trackstone.client.fluent_search", name) for name in _FLUENT_SEARCH},
    **{name: ("trackstone.client.fluent_registry", name) for name in _FLUENT_REGISTRY},
    "ActiveRun": ("trackstone.client.context", "ActiveRun"),
    "TrackstoneClient": ("trackstone.client.client", "TrackstoneClient"),
    "MlflowClient": ("trackstone.client.client", "TrackstoneClient"),
    "TrackstoneError": ("trackstone.errors", "TrackstoneError"),
    "MlflowException": ("trackstone.errors", "TrackstoneError"),
}

__all__ = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "TrackstoneClient",
    "TrackstoneError",
    "__version__",
    "active_run",
    "artifacts",
    "create_experiment",
    "data",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "exceptions",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "search_experiments",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "tracking",
]


def __getattr__(name: str) -> Any:
    """Load a public name on first use and keep it, so the next access is a plain lookup."""
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"trackstone.{name}")
    elif name in _LAZY:
        module_name, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attribute)
    else:
        raise AttributeError(f"module 'trackstone' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
