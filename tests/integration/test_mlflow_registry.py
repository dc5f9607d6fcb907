"""The real ``mlflow`` 3.x client's model registry calls against a real ``trackstone server``.

Each script in ``mlflow_scripts/`` runs once, in MLflow's own virtualenv, against a fresh server
of its own, and prints a JSON object of named results; the tables below say what each result
must be. MLflow decides what every call sends (paths, methods, bodies) and how it reads ours.
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
NO_ERROR = "no error"  # what outcome.error_code_of gives for a call that succeeded


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("create.name", "churn"),
        ("create.tags", {"team": "growth"}),
        ("create.description", "first"),
        ("create.has_timestamps", True),
        ("update.description", "second"),
        ("update.get_description", "second"),
        ("tags.after_set_and_delete", {"team": "retention"}),
        ("tags.delete_missing", NO_ERROR),
        ("tags.delete_on_missing_model", DOES_NOT_EXIST),
        ("rename.name", "scratch-renamed"),
        ("rename.old_missing", DOES_NOT_EXIST),
        ("delete.missing_after", DOES_NOT_EXIST),
        ("versions.numbers", ["1", "2", "3"]),
        ("versions.status", "READY"),
        ("versions.run_id_matches", True),
        ("versions.source", True),
        ("versions.tags", {"kind": "baseline"}),
        ("versions.stage", "None"),
        ("update_version.description", "v2 tuned"),
        ("version_tags.after", {"validated": "yes"}),
        ("version_tags.delete_missing", NO_ERROR),
        ("version_tags.delete_on_missing_version", DOES_NOT_EXIST),
        ("download_uri.under_run", True),
        ("alias.moves_to", "2"),
        ("alias.on_version", ["champion"]),
        ("alias.on_model", {"champion": "2", "challenger": "3"}),
        ("alias.deleted", INVALID),
        ("alias.delete_missing", NO_ERROR),
        ("alias.delete_on_missing_model", DOES_NOT_EXIST),
        ("alias.latest", "3"),
        ("stage.moved", "Production"),
        ("stage.all", ["Archived", "Staging", "Production"]),
        ("latest.production", ["3"]),
        ("latest.all", [["Archived", "1"], ["Production", "3"], ["Staging", "2"]]),
        ("latest.on_model", [["Archived", "1"], ["Production", "3"], ["Staging", "2"]]),
        ("search_models.like", ["fraud-a", "fraud-b", "fraud-c"]),
        ("search_models.tag", ["fraud-a", "fraud-b", "fraud-c"]),
        ("search_models.pages", [["fraud-c", "fraud-b"], ["fraud-a", "churn"]]),
        ("search_models.max_results_0", []),
        ("search_versions.by_name", ["3", "2", "1"]),
        ("search_versions.default_order", ["1", "3", "2"]),
        ("search_versions.default_order_pages", ["1", "3", "2"]),
        ("search_versions.by_run", 3),
        ("search_versions.by_tag", ["2"]),
        ("search_versions.pages", [["1", "2"], ["3"]]),
        ("delete_version.missing_after", DOES_NOT_EXIST),
        ("delete_version.next_number", "4"),
        ("delete_model.versions_gone", 0),
    ],
)
def test_registry_calls(script_results: Callable[[str], Any], key: str, expected: object) -> None:
    assert script_results("registry.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("error.create_duplicate", TAKEN),
        ("error.get_missing", DOES_NOT_EXIST),
        ("error.rename_to_taken", TAKEN),
        ("error.delete_missing", DOES_NOT_EXIST),
        ("error.version_of_missing_model", DOES_NOT_EXIST),
        ("error.get_missing_version", DOES_NOT_EXIST),
        ("error.bad_stage", INVALID),
        ("error.bad_filter", INVALID),
        ("error.max_results_too_big", INVALID),
        ("error.versions_max_results_0", INVALID),
    ],
)
def test_registry_error_codes(
    script_results: Callable[[str], Any], key: str, expected: str
) -> None:
    assert script_results("registry.py")[key] == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("versions", ["1", "2"]),
        ("version_1.model_id_matches", True),
        ("version_1.run_id_matches", True),
        ("version_1.source", True),
        ("version_2.source_is_logged_model", True),
        ("version_2.run_id_matches", True),
        ("logged_model.version_tag", [{"name": "iris", "version": "1"}]),
        ("load.by_number", True),
        ("load.by_alias", True),
        ("load.latest", True),
        ("load.by_stage", True),
        ("download_uri.scheme", "mlflow-artifacts"),
        ("error.load_missing_version", DOES_NOT_EXIST),
        # MLflow answers INVALID_PARAMETER_VALUE for an alias the model lacks.
        ("error.load_missing_alias", INVALID),
        ("error.load_alias_of_missing_model", DOES_NOT_EXIST),
    ],
)
def test_register_and_load_models(
    script_results: Callable[[str], Any], key: str, expected: object
) -> None:
    assert script_results("register_model.py")[key] == expected
