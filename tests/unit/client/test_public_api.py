"""The public surface: every exported name loads, and signatures keep MLflow's parameter names."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import trackstone


@pytest.mark.parametrize("name", trackstone.__all__)
def test_every_exported_name_loads(name: str) -> None:
    assert getattr(trackstone, name) is not None


# Helpers for autolog code, deliberately not part of the top-level MLflow-style surface.
INTERNAL_FLUENT_NAMES = {"current_experiment_id", "current_run_id", "get_client"}


@pytest.mark.parametrize(
    "module",
    [
        "trackstone.client.fluent",
        "trackstone.client.fluent_artifacts",
        "trackstone.client.fluent_search",
        "trackstone.client.fluent_registry",
    ],
)
def test_the_lazy_export_list_keeps_up_with_the_fluent_modules(module: str) -> None:
    # trackstone/__init__.py repeats these names so that importing it stays light.
    names = set(__import__(module, fromlist=["__all__"]).__all__) - INTERNAL_FLUENT_NAMES
    assert names <= set(trackstone.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        trackstone.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_mlflow_aliases() -> None:
    from trackstone.tracking import MlflowClient

    assert trackstone.MlflowClient is trackstone.TrackstoneClient is MlflowClient
    assert trackstone.MlflowException is trackstone.TrackstoneError
    assert trackstone.entities.ViewType.ALL == 3
    assert callable(trackstone.data.from_pandas)


# Parameter names, in order, of MLflow 3's fluent functions (what scripts pass by keyword).
FLUENT = [
    (
        "start_run",
        [
            "run_id",
            "experiment_id",
            "run_name",
            "nested",
            "parent_run_id",
            "tags",
            "description",
            "log_system_metrics",
        ],
    ),
    ("end_run", ["status"]),
    (
        "log_metric",
        ["key", "value", "step", "synchronous", "timestamp", "run_id", "model_id", "dataset"],
    ),
    (
        "log_metrics",
        ["metrics", "step", "synchronous", "run_id", "timestamp", "model_id", "dataset"],
    ),
    ("log_param", ["key", "value", "synchronous"]),
    ("log_params", ["params", "synchronous", "run_id"]),
    ("set_tag", ["key", "value", "synchronous"]),
    ("set_tags", ["tags", "synchronous"]),
    ("delete_tag", ["key"]),
    ("log_artifact", ["local_path", "artifact_path", "run_id"]),
    ("log_artifacts", ["local_dir", "artifact_path", "run_id"]),
    ("log_text", ["text", "artifact_file", "run_id"]),
    ("log_dict", ["dictionary", "artifact_file", "run_id"]),
    ("log_figure", ["figure", "artifact_file", "save_kwargs"]),
    ("log_image", ["image", "artifact_file", "key", "step", "timestamp", "synchronous"]),
    ("log_table", ["data", "artifact_file", "run_id"]),
    ("log_input", ["dataset", "context", "tags", "model"]),
    ("set_experiment", ["experiment_name", "experiment_id", "trace_location"]),
    ("create_experiment", ["name", "artifact_location", "tags", "trace_location"]),
    ("get_experiment", ["experiment_id"]),
    ("get_experiment_by_name", ["name"]),
    ("search_experiments", ["view_type", "max_results", "filter_string", "order_by"]),
    (
        "search_runs",
        [
            "experiment_ids",
            "filter_string",
            "run_view_type",
            "max_results",
            "order_by",
            "output_format",
            "search_all_experiments",
            "experiment_names",
        ],
    ),
    ("get_artifact_uri", ["artifact_path"]),
    ("active_run", []),
    ("last_active_run", []),
    ("get_run", ["run_id"]),
    ("delete_run", ["run_id"]),
    ("set_tracking_uri", ["uri"]),
    ("get_tracking_uri", []),
    ("delete_experiment", ["experiment_id"]),
    ("set_experiment_tag", ["key", "value"]),
    ("set_experiment_tags", ["tags"]),
    ("flush_async_logging", []),
    ("register_model", ["model_uri", "name", "await_registration_for", "tags", "env_pack"]),
    ("search_registered_models", ["max_results", "filter_string", "order_by"]),
    ("search_model_versions", ["max_results", "filter_string", "order_by"]),
]

# The same for MlflowClient methods (without ``self``).
CLIENT = [
    ("create_run", ["experiment_id", "start_time", "tags", "run_name"]),
    (
        "log_metric",
        [
            "run_id",
            "key",
            "value",
            "timestamp",
            "step",
            "synchronous",
            "dataset_name",
            "dataset_digest",
            "model_id",
        ],
    ),
    ("log_param", ["run_id", "key", "value", "synchronous"]),
    ("set_tag", ["run_id", "key", "value", "synchronous"]),
    ("log_batch", ["run_id", "metrics", "params", "tags", "synchronous"]),
    ("log_inputs", ["run_id", "datasets", "models"]),
    ("set_terminated", ["run_id", "status", "end_time"]),
    ("update_run", ["run_id", "status", "name"]),
    (
        "search_runs",
        [
            "experiment_ids",
            "filter_string",
            "run_view_type",
            "max_results",
            "order_by",
            "page_token",
        ],
    ),
    ("search_experiments", ["view_type", "max_results", "filter_string", "order_by", "page_token"]),
    ("list_artifacts", ["run_id", "path"]),
    ("download_artifacts", ["run_id", "path", "dst_path"]),
    ("log_image", ["run_id", "image", "artifact_file", "key", "step", "timestamp", "synchronous"]),
    ("log_figure", ["run_id", "figure", "artifact_file", "save_kwargs"]),
    ("log_table", ["run_id", "data", "artifact_file"]),
    ("log_text", ["run_id", "text", "artifact_file"]),
    ("log_dict", ["run_id", "dictionary", "artifact_file"]),
    ("log_artifact", ["run_id", "local_path", "artifact_path"]),
    ("log_artifacts", ["run_id", "local_dir", "artifact_path"]),
    ("get_metric_history", ["run_id", "key"]),
    ("create_experiment", ["name", "artifact_location", "tags"]),
    ("get_experiment", ["experiment_id"]),
    ("get_experiment_by_name", ["name"]),
    ("rename_experiment", ["experiment_id", "new_name"]),
    ("delete_experiment", ["experiment_id"]),
    ("restore_experiment", ["experiment_id"]),
    ("set_experiment_tag", ["experiment_id", "key", "value"]),
    ("delete_experiment_tag", ["experiment_id", "key"]),
    ("get_run", ["run_id"]),
    ("delete_run", ["run_id"]),
    ("restore_run", ["run_id"]),
    ("delete_tag", ["run_id", "key"]),
    ("create_registered_model", ["name", "tags", "description", "deployment_job_id"]),
    ("get_registered_model", ["name"]),
    ("rename_registered_model", ["name", "new_name"]),
    ("update_registered_model", ["name", "description", "deployment_job_id"]),
    ("delete_registered_model", ["name"]),
    ("search_registered_models", ["filter_string", "max_results", "order_by", "page_token"]),
    ("get_latest_versions", ["name", "stages"]),
    ("set_registered_model_tag", ["name", "key", "value"]),
    ("delete_registered_model_tag", ["name", "key"]),
    ("set_registered_model_alias", ["name", "alias", "version"]),
    ("delete_registered_model_alias", ["name", "alias"]),
    ("get_model_version_by_alias", ["name", "alias"]),
    (
        "create_model_version",
        [
            "name",
            "source",
            "run_id",
            "tags",
            "run_link",
            "description",
            "await_creation_for",
            "model_id",
        ],
    ),
    ("get_model_version", ["name", "version"]),
    ("update_model_version", ["name", "version", "description"]),
    (
        "transition_model_version_stage",
        ["name", "version", "stage", "archive_existing_versions"],
    ),
    ("delete_model_version", ["name", "version"]),
    ("get_model_version_download_uri", ["name", "version"]),
    ("search_model_versions", ["filter_string", "max_results", "order_by", "page_token"]),
    ("set_model_version_tag", ["name", "version", "key", "value", "stage"]),
    ("delete_model_version_tag", ["name", "version", "key", "stage"]),
]


@pytest.mark.parametrize(("name", "parameters"), FLUENT, ids=[name for name, _ in FLUENT])
def test_fluent_signatures_match_mlflow(name: str, parameters: list[str]) -> None:
    assert list(inspect.signature(getattr(trackstone, name)).parameters) == parameters


@pytest.mark.parametrize(("name", "parameters"), CLIENT, ids=[name for name, _ in CLIENT])
def test_client_signatures_match_mlflow(name: str, parameters: list[str]) -> None:
    method = getattr(trackstone.MlflowClient, name)
    assert list(inspect.signature(method).parameters)[1:] == parameters


def test_using_the_fluent_api_loads_no_heavy_module() -> None:
    probe = (
        "import sys, trackstone; trackstone.start_run; trackstone.log_metric; "
        "trackstone.search_runs; trackstone.data; trackstone.MlflowClient; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'pandas', 'numpy', 'alembic', 'PIL', 'matplotlib', 'yaml'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
