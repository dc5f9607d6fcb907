"""MLflow's names beside the fluent functions: exceptions, RunStatus helpers, MLFLOW_RUN_ID."""

from __future__ import annotations

import pytest

import trackstone
from trackstone.config import Settings
from trackstone.entities import RunStatus
from trackstone.errors import InvalidParameter, NotFound, ServiceUnavailable, TrackstoneError
from trackstone.exceptions import MlflowException


def test_mlflow_exception_is_the_base_of_our_errors() -> None:
    assert MlflowException is TrackstoneError
    assert trackstone.exceptions.MlflowException is TrackstoneError
    with pytest.raises(MlflowException):
        raise NotFound("run 'x' does not exist")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("x"), "RESOURCE_DOES_NOT_EXIST"),
        (InvalidParameter("x"), "INVALID_PARAMETER_VALUE"),
        (ServiceUnavailable("x"), "TEMPORARILY_UNAVAILABLE"),
        (TrackstoneError("x"), "INTERNAL_ERROR"),
    ],
)
def test_error_code_is_mlflow_attribute_name_for_the_code(
    error: TrackstoneError, code: str
) -> None:
    assert error.error_code == code


@pytest.mark.parametrize(
    ("status", "name", "terminated"),
    [
        (RunStatus.RUNNING, "RUNNING", False),
        (RunStatus.SCHEDULED, "SCHEDULED", False),
        (RunStatus.FINISHED, "FINISHED", True),
        (RunStatus.FAILED, "FAILED", True),
        (RunStatus.KILLED, "KILLED", True),
    ],
)
def test_run_status_helpers(status: RunStatus, name: str, terminated: bool) -> None:
    assert RunStatus.to_string(status) == name
    assert RunStatus.from_string(name) is status
    assert RunStatus.is_terminated(status) is terminated
    assert RunStatus.is_terminated(name) is terminated


@pytest.mark.parametrize(("number", "name"), [(1, "RUNNING"), (3, "FINISHED"), (5, "KILLED")])
def test_run_status_to_string_takes_mlflow_numbers(number: int, name: str) -> None:
    assert RunStatus.to_string(number) == name


def test_run_status_all_status_in_mlflow_order() -> None:
    assert RunStatus.all_status() == [
        RunStatus.RUNNING,
        RunStatus.SCHEDULED,
        RunStatus.FINISHED,
        RunStatus.FAILED,
        RunStatus.KILLED,
    ]


def test_run_status_from_string_refuses_unknown_names() -> None:
    with pytest.raises(InvalidParameter, match="status: must be one of"):
        RunStatus.from_string("DONE")


@pytest.mark.parametrize(
    ("environ", "run_id"),
    [
        ({}, None),
        ({"MLFLOW_RUN_ID": "abc"}, "abc"),
        ({"TRACKSTONE_RUN_ID": "def"}, "def"),
        ({"TRACKSTONE_RUN_ID": "def", "MLFLOW_RUN_ID": "abc"}, "def"),
        ({"MLFLOW_RUN_ID": ""}, None),
    ],
)
def test_settings_run_id_from_the_environment(environ: dict[str, str], run_id: str | None) -> None:
    assert Settings.from_env(environ).run_id == run_id


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("pyfunc", "load_model"),
        ("sklearn", "log_model"),
        ("xgboost", "load_model"),
        ("lightgbm", "save_model"),
        ("pytorch", "log_model"),
        ("models", "infer_signature"),
    ],
)
def test_model_modules_load_on_attribute_access(name: str, function: str) -> None:
    """``import mlflow`` scripts call ``mlflow.sklearn.log_model`` without importing it first."""
    module = getattr(trackstone, name)
    assert module.__name__ == f"trackstone.{name}"
    assert callable(getattr(module, function))
