"""The real ``mlflow`` 3.x client against a real ``trackstone server`` process.

Each script in ``mlflow_scripts/`` runs once, in MLflow's own virtualenv, against a fresh server
of its own, and prints a JSON object of named results; the tables below say what each result
must be. MLflow itself decides what every call sends and how it reads our answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.mlflow_env import mlflow_env  # noqa: F401  (fixture)
from support.mlflow_scripts import (
    DOES_NOT_EXIST,
    INVALID,
    TAKEN,
    mlflow_script_results,  # noqa: F401  (fixture script_results)
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("get.name", "exp-alpha"),
        ("get.tags", {"team": "vision"}),
        ("get.lifecycle_stage", "active"),
        ("get_by_name.id_matches", True),
        ("get_by_name.missing", None),
        ("search.like_names", ["exp-beta", "exp-alpha"]),
        ("search.pages", [["Default", "exp-alpha"], ["exp-beta", "other-gamma"]]),
        ("search.tag_filter", ["exp-alpha"]),
        ("rename.name", "exp-beta-renamed"),
        ("set_tag.overwritten", "prod"),
        ("delete_tag.gone", True),
        ("delete.lifecycle_stage", "deleted"),
        ("delete.hidden_from_active", True),
        ("delete.listed_as_deleted", ["exp-beta-renamed"]),
        ("restore.lifecycle_stage", "active"),
        ("error.get_missing", DOES_NOT_EXIST),
        ("error.duplicate_name", TAKEN),
        ("error.rename_to_taken", TAKEN),
        ("error.bad_filter", INVALID),
        ("error.delete_missing", DOES_NOT_EXIST),
    ],
)
def test_experiments(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("experiments.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("parent.params", {"layers": "3", "lr": "0.1", "optimizer": "adam"}),
        ("parent.metrics", {"acc": 0.9, "f1": 0.8, "loss": 0.2}),
        ("parent.tags.owner", "alice"),
        ("parent.tags.deleted_absent", True),
        ("parent.status", "FINISHED"),
        ("parent.run_name", "parent"),
        ("parent.has_end_time", True),
        ("child.parent_tag_matches", True),
        ("children.by_parent_filter", ["child-a", "child-b"]),
        ("history.steps", [0, 1, 2, 3, 4]),
        ("history.values", [1.0, 0.5, 1 / 3, 0.25, 0.2]),
        ("batch.param_count", 20),
        ("batch.latest_m", 249.0),
        ("batch.history_len", 250),
        ("batch.tags", {"kind": "batch", "source": "log_batch"}),
        ("set_terminated.status", "FAILED"),
        ("set_terminated.has_end_time", True),
        ("search.order_by_metric_desc", [0.9, 0.6, 0.3, 0.1]),
        ("search.metric_and_param_filter", ["sweep-1"]),
        ("search.attribute_filter", ["batched"]),
        ("search.status_filter", ["batched"]),
        (
            "search.paged_names",
            ["batched", "child-a", "child-b", "parent", "sweep-0", "sweep-1", "sweep-2", "sweep-3"],
        ),
        ("search.page_count", 3),
        ("fluent.search_runs_rows", 4),
        ("fluent.search_runs_has_metric_column", True),
        ("delete.lifecycle_stage", "deleted"),
        ("delete.hidden", True),
        ("delete.deleted_only", ["batched"]),
        ("restore.lifecycle_stage", "active"),
        ("update_run.name", "renamed"),
        ("long.param_length", 6000),
        ("long.tag_length", 8000),
    ],
)
def test_runs(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("runs.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("get_run.missing", DOES_NOT_EXIST),
        ("log_metric.missing_run", DOES_NOT_EXIST),
        ("log_param.changed_value", INVALID),
        ("log_param.same_value", "no error"),
        # MLflow answers INVALID_PARAMETER_VALUE here; Trackstone's error tree says INVALID_STATE
        # (also an MLflow error code), and the client raises MlflowException for both.
        ("log_metric.deleted_run", "INVALID_STATE"),
        ("set_tag.bad_key", INVALID),
        ("create_run.missing_experiment", DOES_NOT_EXIST),
        ("create_experiment.duplicate", TAKEN),
        ("search_runs.bad_filter", INVALID),
        ("search_runs.bad_order_by", INVALID),
        ("delete_tag.missing_tag", DOES_NOT_EXIST),
        ("get_metric_history.missing_run", DOES_NOT_EXIST),
        ("set_experiment.deleted", INVALID),
    ],
)
def test_error_codes(script_results: Callable[[str], Any], key: str, expected: str) -> None:
    assert script_results("errors.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("artifact_uri_scheme", "mlflow-artifacts"),
        ("list.root", [["folder", True], ["inline", True], ["large", True], ["notes.txt", False]]),
        ("list.folder", [["folder/a.csv", False, 8], ["folder/nested", True, None]]),
        ("list.large_size", [20 * 1024 * 1024]),
        ("download.folder_matches", True),
        ("download.big_matches", True),
        ("download.text", "inline text"),
        ("load_dict", {"k": [1, 2]}),
        ("error.download_missing", DOES_NOT_EXIST),
    ],
)
def test_artifacts(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("artifacts.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("count", 1),
        ("name", "tiny"),
        ("digest_matches", True),
        ("source_type", "code"),
        ("tags", {"mlflow.data.context": "training"}),
        ("search_by_dataset", 1),
    ],
)
def test_log_input(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("inputs.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("model_id_prefix", "m-"),
        ("model_uri", True),
        ("predictions.runs_uri", True),
        ("predictions.models_uri", True),
        ("logged.name", "model"),
        ("logged.source_run_id_matches", True),
        ("logged.status", "READY"),
        ("logged.params", {"C": "1.0"}),
        ("logged.tag_deleted", True),
        ("search.names", ["model"]),
        ("download.files", ["MLmodel", "requirements.txt"]),
        ("error.get_missing_model", DOES_NOT_EXIST),
    ],
)
def test_sklearn_log_model_round_trip(
    script_results: Callable[[str], Any], key: str, expected: object
) -> None:
    assert script_results("sklearn_model.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("outputs", [["model", 0], ["model2", 5]]),
        ("outputs.in_search", [0, 2]),
        ("inputs", [True]),
        ("run.metrics", {"acc": 0.8, "f1": 0.6}),
        (
            "model.metrics",
            [
                ["acc", 0.75, 0, True, None, True, True],
                ["acc", 0.8, 1, True, None, True, True],
                ["f1", 0.6, 0, True, "train", True, True],
                ["acc", 0.99, 0, False, "d", True, True],
            ],
        ),
        ("search.acc_above", ["model"]),
        ("search.acc_below", ["model2"]),
        ("search.order_acc_asc", ["model2", "model"]),
        ("search.order_acc_desc", ["model", "model2"]),
        ("search.dataset_nowhere", []),
        ("search.dataset_f1", ["model"]),
        ("search.dataset_acc", ["model"]),
        ("search.dataset_wrong_digest", []),
        ("search.dataset_no_acc", []),
    ],
)
def test_model_links(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("model_links.py")[key] == expected
