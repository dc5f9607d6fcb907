"""The ``trackstone`` command against a real SQLite store in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.cli import (
    assert_one_line_error,
    cli,
    cli_json,
    sqlite_uri,  # noqa: F401  (fixture uri)
    store_at_uri,  # noqa: F401  (fixture store)
)
from support.server_process import CONSOLE_SCRIPT
from support.tracking import make_run
from trackstone.artifacts.local import local_path_for_uri
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.cli.main import main
from trackstone.entities import Metric
from trackstone.store.sql.store import SqlStore

# -- experiments -------------------------------------------------------------------------


def _names(uri: str, *args: str) -> list[str]:
    return sorted(e["name"] for e in cli_json(uri, "experiments", "list", *args))


def test_experiment_lifecycle(uri: str) -> None:
    created = cli_json(uri, "experiments", "create", "--experiment-name", "alpha")
    experiment_id = created["experiment_id"]
    assert "alpha" in _names(uri)

    renamed = cli(uri, "experiments", "rename", "-x", experiment_id, "--new-name", "beta")
    assert renamed.exit_code == 0, renamed.output
    assert "beta" in _names(uri)
    assert "alpha" not in _names(uri)

    assert cli(uri, "experiments", "delete", "--experiment-name", "beta").exit_code == 0
    assert "beta" not in _names(uri)
    deleted = cli_json(uri, "experiments", "list", "--view", "deleted")
    assert [(e["name"], e["lifecycle_stage"]) for e in deleted] == [("beta", "deleted")]
    assert "beta" in _names(uri, "--view", "all")

    assert cli(uri, "experiments", "restore", "-x", experiment_id).exit_code == 0
    assert "beta" in _names(uri)
    assert _names(uri, "--view", "deleted") == []


def test_experiment_list_filter_and_table(uri: str) -> None:
    for name in ("exp-a", "exp-b", "other"):
        cli_json(uri, "experiments", "create", "-n", name)

    assert _names(uri, "--filter", "name LIKE 'exp-%'") == ["exp-a", "exp-b"]
    table = cli(uri, "experiments", "list")
    assert table.exit_code == 0
    for name in ("exp-a", "exp-b", "other"):
        assert name in table.stdout


def test_create_with_tags(uri: str, store: SqlStore) -> None:
    created = cli_json(uri, "experiments", "create", "-n", "tagged", "-t", "team=vision")
    assert store.get_experiment(created["experiment_id"]).tags["team"] == "vision"


# -- runs --------------------------------------------------------------------------------


@pytest.fixture
def seeded(store: SqlStore) -> str:
    """Three runs with accuracy 0.2 / 0.6 / 0.9 in experiment "seeded"; returns its id."""
    experiment_id = store.create_experiment("seeded")
    for index, (name, accuracy, model) in enumerate(
        [("low", 0.2, "cnn"), ("mid", 0.6, "mlp"), ("high", 0.9, "cnn")]
    ):
        make_run(
            store,
            experiment_id,
            run_name=name,
            start_time=1_000 + index,
            metrics=[Metric("acc", accuracy, 1, 0)],
            params={"model": model},
            tags={"team": "vision"},
        )
    return experiment_id


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), ["high", "mid", "low"]),
        (("--filter", "metrics.acc > 0.5"), ["high", "mid"]),
        (("--filter", "metrics.acc > 0.5", "--order-by", "metrics.acc ASC"), ["mid", "high"]),
        (("--filter", "params.model = 'mlp' OR metrics.acc < 0.3"), ["mid", "low"]),
        (
            ("--filter", "(params.model = 'cnn' AND metrics.acc > 0.5) OR params.model = 'mlp'"),
            ["high", "mid"],
        ),
        (("--order-by", "attributes.run_name ASC", "--max-results", "2"), ["high", "low"]),
    ],
)
def test_runs_list_json(
    uri: str, seeded: str, options: tuple[str, ...], expected: list[str]
) -> None:
    found = cli_json(uri, "runs", "list", "--experiment-name", "seeded", *options)
    assert [run["info"]["run_name"] for run in found] == expected


def test_runs_list_table_shows_names_and_metrics(uri: str, seeded: str) -> None:
    result = cli(uri, "runs", "list", "-x", seeded)
    assert result.exit_code == 0, result.output
    for fragment in ("high", "mid", "low", "seeded", "acc=0.9"):
        assert fragment in result.stdout


def test_runs_describe_json(uri: str, store: SqlStore, seeded: str) -> None:
    [run] = [r for r in cli_json(uri, "runs", "list") if r["info"]["run_name"] == "mid"]
    described = cli_json(uri, "runs", "describe", run["info"]["run_id"])
    assert described["info"]["experiment_id"] == seeded
    assert described["info"]["status"] == "RUNNING"
    assert described["data"]["metrics"] == {"acc": 0.6}
    assert described["data"]["params"] == {"model": "mlp"}
    assert described["data"]["tags"]["team"] == "vision"


def test_runs_delete_and_restore(uri: str, seeded: str) -> None:
    [run_id] = [
        r["info"]["run_id"] for r in cli_json(uri, "runs", "list") if r["info"]["run_name"] == "low"
    ]
    assert cli(uri, "runs", "delete", run_id).exit_code == 0
    active = [r["info"]["run_name"] for r in cli_json(uri, "runs", "list")]
    deleted = [r["info"]["run_name"] for r in cli_json(uri, "runs", "list", "--view", "deleted")]
    assert (active, deleted) == (["high", "mid"], ["low"])

    assert cli(uri, "runs", "restore", run_id).exit_code == 0
    assert [r["info"]["run_name"] for r in cli_json(uri, "runs", "list")] == ["high", "mid", "low"]


# -- gc ----------------------------------------------------------------------------------


def test_gc_removes_deleted_runs_and_files(uri: str, store: SqlStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("gc")
    run = store.create_run(experiment_id)
    source = tmp_path / "weights.bin"
    source.write_bytes(b"\x00" * 16)
    repository_for_uri(run.info.artifact_uri).log_artifact(source)
    run_dir = local_path_for_uri(run.info.artifact_uri)
    run_id = run.info.run_id
    assert cli(uri, "runs", "delete", run_id).exit_code == 0

    assert cli_json(uri, "gc", "--older-than", "30d")["run_ids"] == []
    planned = cli_json(uri, "gc", "--dry-run")
    assert (planned["dry_run"], planned["run_ids"]) == (True, [run_id])
    assert run_dir.exists()

    done = cli(uri, "gc", "--run-ids", run_id)
    assert done.exit_code == 0, done.output
    assert run_id in done.stdout
    assert not run_dir.exists()
    assert_one_line_error(cli(uri, "runs", "describe", run_id), 1, run_id)


def test_gc_frees_experiment_names(uri: str) -> None:
    cli_json(uri, "experiments", "create", "-n", "again")
    assert cli(uri, "experiments", "delete", "-n", "again").exit_code == 0
    assert cli(uri, "experiments", "create", "-n", "again").exit_code == 1
    assert len(cli_json(uri, "gc")["experiment_ids"]) == 1
    assert cli(uri, "experiments", "create", "-n", "again").exit_code == 0


# -- db ----------------------------------------------------------------------------------


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    before = cli_json(fresh, "db", "current")
    assert before["current"] is None
    assert before["up_to_date"] is False

    upgraded = cli_json(fresh, "db", "upgrade")
    assert upgraded["to_revision"] == before["head"]

    after = cli_json(fresh, "db", "current")
    assert (after["current"], after["up_to_date"]) == (before["head"], True)
    again = cli(fresh, "db", "upgrade")
    assert again.exit_code == 0
    assert "Already" in again.stdout


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (("runs", "list", "--experiment-name", "nope"), 1, "'nope' does not exist"),
        (("experiments", "delete", "-x", "424242"), 1, "424242"),
        (("runs", "describe", "f" * 32), 1, "f" * 32),
        (("runs", "list", "--filter", "metrics.acc >"), 1, "expected a number"),
        (("runs", "list", "--filter", "bogus.key = 1"), 1, "bogus"),
        (("runs", "list", "--max-results", "0"), 2, "--max-results"),
        (("runs", "list", "--view", "sideways"), 2, "--view"),
        (("experiments", "rename", "--new-name", "x"), 2, "--experiment-id"),
        (("experiments", "create"), 2, "--experiment-name"),
        (("gc", "--older-than", "soon"), 2, "duration"),
        (("runs", "frobnicate"), 2, "frobnicate"),
    ],
)
def test_errors_are_one_line(
    uri: str, seeded: str, args: tuple[str, ...], exit_code: int, fragment: str
) -> None:
    assert_one_line_error(cli(uri, *args), exit_code, fragment)


def test_db_commands_refuse_remote_stores() -> None:
    result = CliRunner().invoke(main, ["--tracking-uri", "http://127.0.0.1:9", "db", "current"])
    assert_one_line_error(result, 1, "http://127.0.0.1:9")


# -- the real console script -------------------------------------------------------------


def _run_script(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_console_script_reads_the_tracking_uri_from_the_environment(
    uri: str, seeded: str, tmp_path: Path
) -> None:
    env = {**os.environ, "TRACKSTONE_TRACKING_URI": uri, "TRACKSTONE_SPOOL_DIR": str(tmp_path)}
    env.pop("MLFLOW_TRACKING_URI", None)
    listed = _run_script(["runs", "list", "--json", "-n", "seeded"], env)
    assert listed.returncode == 0, listed.stderr
    assert [r["info"]["run_name"] for r in json.loads(listed.stdout)] == ["high", "mid", "low"]

    missing = _run_script(["runs", "describe", "0" * 32], env)
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr


# -- sync --------------------------------------------------------------------------------

_KILLED_LOGGER = """
import os, sys
import trackstone
trackstone.set_experiment("killed")
run = trackstone.start_run()
for step in range(100):
    trackstone.log_metric("x", float(step), step=step)
print(run.info.run_id, flush=True)
os._exit(0)  # no atexit hooks: the spool is left behind, as after SIGKILL
"""


def test_sync_ships_what_a_dead_process_left(uri: str, store: SqlStore, tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    env = {
        **os.environ,
        "TRACKSTONE_TRACKING_URI": uri,
        "TRACKSTONE_SPOOL_DIR": str(spool_dir),
        "TRACKSTONE_FLUSH_INTERVAL_S": "3600",
    }
    logged = subprocess.run(
        [sys.executable, "-c", _KILLED_LOGGER], capture_output=True, text=True, env=env, timeout=120
    )
    assert logged.returncode == 0, logged.stderr
    run_id = logged.stdout.strip()

    result = CliRunner().invoke(
        main,
        ["--tracking-uri", uri, "sync", "--json"],
        env={"TRACKSTONE_SPOOL_DIR": str(spool_dir)},
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["spools_found"], report["spools_left"], report["errors"]) == (1, 0, [])
    assert report["records_sent"] == 100  # the hour-long flush interval kept them all spooled
    history = store.get_metric_history(run_id, "x", max_results=1000)
    assert [point.step for point in history] == list(range(100))
    again = CliRunner().invoke(
        main, ["--tracking-uri", uri, "sync"], env={"TRACKSTONE_SPOOL_DIR": str(spool_dir)}
    )
    assert again.exit_code == 0
    assert "Nothing to sync" in again.stdout


LOADED_BY_SERVER_HELP = """
import sys
from click.testing import CliRunner
from trackstone.cli.main import SUBCOMMANDS, main

result = CliRunner().invoke(main, ["server", "--help"])
assert result.exit_code == 0, result.output
print(sorted(name for name, target in SUBCOMMANDS.items() if target.split(":")[0] in sys.modules))
"""


def test_a_sub_command_loads_only_its_own_module() -> None:
    """`trackstone server` starts faster without importing the other commands."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY_SERVER_HELP], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['server']"
