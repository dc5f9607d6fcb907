"""``trackstone models`` against a real SQLite store in a temporary folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.cli import (
    assert_one_line_error,
    cli,
    cli_json,
    sqlite_uri,  # noqa: F401  (fixture uri)
    store_at_uri,  # noqa: F401  (fixture store)
)
from support.server_process import CONSOLE_SCRIPT
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.entities import Metric, Param
from trackstone.store.sql.store import SqlStore


@pytest.fixture
def run_id(store: SqlStore, tmp_path: Path) -> str:
    """A run of experiment "training" with a param, a metric and a model folder."""
    experiment_id = store.create_experiment("training")
    run = store.create_run(experiment_id, run_name="train")
    store.log_batch(
        run.info.run_id, metrics=[Metric("auc", 0.91, 1, 2)], params=[Param("lr", "0.1")]
    )
    weights = tmp_path / "weights.txt"
    weights.write_text("w")
    repository_for_uri(run.info.artifact_uri).log_artifact(weights, "model")
    return run.info.run_id


@pytest.fixture
def churn(uri: str, run_id: str) -> str:
    """Model churn: v1 (@champion, tag team=growth), v2 (Production), v3 (Staging)."""
    first = cli_json(
        uri, "models", "register", f"runs:/{run_id}/model", "churn", "--tag", "team=growth"
    )
    assert (first["version"], first["run_id"], first["tags"]) == ("1", run_id, {"team": "growth"})
    for _ in range(2):
        assert cli(uri, "models", "register", f"runs:/{run_id}/model", "churn").exit_code == 0
    for command in (
        ("alias", "set", "churn", "champion", "1"),
        ("stage", "churn", "2", "Production"),
        ("stage", "churn", "3", "staging"),
    ):
        result = cli(uri, "models", *command)
        assert result.exit_code == 0, result.output
    return run_id


def test_register_prints_the_new_version(uri: str, run_id: str) -> None:
    result = cli(uri, "models", "register", f"runs:/{run_id}/model", "churn")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Registered churn version 1 from runs:/{run_id}/model"


def test_list(uri: str, churn: str) -> None:
    assert cli(uri, "models", "register", f"runs:/{churn}/model", "attrition").exit_code == 0
    listed = cli_json(uri, "models", "list")
    assert [m["name"] for m in listed] == ["attrition", "churn"]
    assert (
        cli_json(uri, "models", "list", "--order-by", "name DESC", "--max-results", "1")[0]["name"]
        == "churn"
    )
    assert [m["name"] for m in cli_json(uri, "models", "list", "--filter", "name = 'churn'")] == [
        "churn"
    ]

    table = cli(uri, "models", "list")
    assert table.exit_code == 0, table.output
    row = next(line for line in table.stdout.splitlines() if " churn " in line)
    assert "champion → v1" in row
    assert "Production: v2" in row
    assert "Staging: v3" in row


def test_list_when_empty(uri: str, store: SqlStore) -> None:
    result = cli(uri, "models", "list")
    assert (result.exit_code, result.stdout.strip()) == (0, "No registered models match.")


def test_describe_a_model(uri: str, churn: str) -> None:
    described = cli_json(uri, "models", "describe", "churn")
    model = described["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    latest = {v["current_stage"]: v["version"] for v in model["latest_versions"]}
    assert latest == {"None": "1", "Production": "2", "Staging": "3"}
    assert [v["version"] for v in described["versions"]] == ["3", "2", "1"]
    assert described["versions"][2]["tags"] == {"team": "growth"}

    table = cli(uri, "models", "describe", "churn")
    assert table.exit_code == 0, table.output
    for heading in ("Registered model", "Aliases", "Latest per stage", "Versions"):
        assert heading in table.stdout


@pytest.mark.parametrize(
    ("target", "version"),
    [
        ("churn/2", "2"),
        ("churn@champion", "1"),
        ("churn/production", "2"),
        ("churn/latest", "3"),
        ("models:/churn/Staging", "3"),
    ],
)
def test_describe_a_version_with_its_lineage(
    uri: str, churn: str, target: str, version: str
) -> None:
    described = cli_json(uri, "models", "describe", target)
    assert described["model_version"]["version"] == version
    assert described["run"]["info"]["run_id"] == churn
    assert described["run"]["data"]["params"] == {"lr": "0.1"}
    assert described["run"]["data"]["metrics"] == {"auc": 0.91}
    assert described["experiment"]["name"] == "training"


def test_describe_a_version_as_tables(uri: str, churn: str) -> None:
    result = cli(uri, "models", "describe", "churn@champion")
    assert result.exit_code == 0, result.output
    for text in ("Model version", "Lineage: source run", "train", "training (", "lr", "0.91"):
        assert text in result.stdout


def test_alias_set_moves_and_delete_removes(uri: str, churn: str) -> None:
    assert cli(uri, "models", "alias", "set", "churn", "champion", "3").exit_code == 0
    assert cli_json(uri, "models", "describe", "churn@champion")["model_version"]["version"] == "3"
    deleted = cli(uri, "models", "alias", "delete", "churn", "champion")
    assert deleted.exit_code == 0, deleted.output
    assert_one_line_error(cli(uri, "models", "describe", "churn@champion"), 1, "champion")


def test_stage_with_archive_existing(uri: str, churn: str) -> None:
    moved = cli_json(uri, "models", "stage", "churn", "3", "Production", "--archive-existing")
    assert moved["current_stage"] == "Production"
    stages = {
        v["version"]: v["current_stage"]
        for v in cli_json(uri, "models", "describe", "churn")["versions"]
    }
    assert stages == {"1": "None", "2": "Archived", "3": "Production"}


@pytest.mark.parametrize(
    ("args", "stdin", "versions_left"),
    [
        (("churn", "2"), "n\n", ["3", "2", "1"]),
        (("churn", "2"), "y\n", ["3", "1"]),
        (("churn", "2", "--yes"), None, ["3", "1"]),
    ],
)
def test_delete_a_version_asks_first(
    uri: str, churn: str, args: tuple[str, ...], stdin: str | None, versions_left: list[str]
) -> None:
    cli(uri, "models", "delete", *args, stdin=stdin)
    left = cli_json(uri, "models", "describe", "churn")["versions"]
    assert [v["version"] for v in left] == versions_left


def test_delete_a_model(uri: str, churn: str) -> None:
    declined = cli(uri, "models", "delete", "churn", stdin="n\n")
    assert "Delete registered model 'churn' and its 3 version(s)?" in declined.stdout
    assert declined.exit_code == 1
    assert cli(uri, "models", "delete", "churn", "-y").exit_code == 0
    assert cli_json(uri, "models", "list") == []


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (("describe", "nobody"), 1, "nobody"),
        (("describe", "churn/9"), 1, "version 9"),
        (("describe", "churn/prod"), 2, "'prod' is neither a version number, a stage"),
        (("describe", "churn@"), 2, "expected models:/<name>@<alias>"),
        (("register", "models:/churn", "x"), 1, "'models:/churn': names no version"),
        (("register", "runs:/0123456789abcdef0123456789abcdef/m", "x"), 1, "0123456789abcdef"),
        (("register", "runs:/abc/m", "x", "--tag", "novalue"), 2, "expected KEY=VALUE"),
        (("stage", "churn", "1", "Prod"), 2, "'Prod' is not one of"),
        (("alias", "delete", "nobody", "champion"), 1, "nobody"),
        (("delete", "nobody", "--yes"), 1, "nobody"),
        (("delete", "churn", "9", "--yes"), 1, "version 9"),
    ],
)
def test_errors_are_one_line(
    uri: str, churn: str, args: tuple[str, ...], exit_code: int, fragment: str
) -> None:
    assert_one_line_error(cli(uri, "models", *args), exit_code, fragment)


def test_the_console_script_lists_models_and_the_check_command(uri: str, churn: str) -> None:
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "--tracking-uri", uri, "models", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [m["name"] for m in json.loads(done.stdout)] == ["churn"]
    assert "check" in cli(uri, "models", "--help").stdout
