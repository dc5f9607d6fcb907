"""Schema migrations and SQLite connection settings of the SQL store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from trackstone.clock import ManualClock
from trackstone.entities import Param, ViewType
from trackstone.errors import InvalidParameter, InvalidState
from trackstone.store.sql.engine import SQLITE_BUSY_TIMEOUT_MS, Database, sqlalchemy_url
from trackstone.store.sql.migrate import current_revision, head_revision, upgrade
from trackstone.store.sql.store import SqlStore

TABLES = {
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "latest_metrics",
    "datasets",
    "inputs",
    "input_tags",
    "logged_models",
    "logged_model_tags",
    "logged_model_params",
    "trackstone_schema_version",
}


def _uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'tracking.db'}"


def test_upgrade_of_an_empty_file_reaches_head(tmp_path: Path) -> None:
    uri = _uri(tmp_path)
    assert current_revision(uri) is None

    reached = upgrade(uri)

    assert reached == head_revision()
    assert current_revision(uri) == head_revision()
    db = Database(uri)
    try:
        # Later revisions add tables of their own; the tracking tables are always there.
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.dispose()


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    uri = _uri(tmp_path)
    upgrade(uri)

    assert upgrade(uri) == head_revision()


def test_store_opens_in_wal_mode(tmp_path: Path) -> None:
    store = SqlStore(_uri(tmp_path), str(tmp_path / "artifacts"))
    store.close()

    connection = sqlite3.connect(tmp_path / "db" / "tracking.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("busy_timeout", SQLITE_BUSY_TIMEOUT_MS),
        ("foreign_keys", 1),
        ("synchronous", 1),  # NORMAL
    ],
)
def test_every_connection_gets_the_pragmas(tmp_path: Path, pragma: str, expected: object) -> None:
    db = Database(_uri(tmp_path))
    try:
        with db.read() as connection:
            assert connection.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
    finally:
        db.dispose()


def test_opening_without_upgrade_refuses_an_old_schema(tmp_path: Path) -> None:
    with pytest.raises(InvalidState, match="trackstone db upgrade"):
        SqlStore(_uri(tmp_path), str(tmp_path / "artifacts"), upgrade=False)


def test_opening_without_upgrade_works_on_a_current_schema(tmp_path: Path) -> None:
    upgrade(_uri(tmp_path))

    store = SqlStore(_uri(tmp_path), str(tmp_path / "artifacts"), upgrade=False)
    try:
        assert store.get_experiment("0").name == "Default"
    finally:
        store.close()


def test_default_experiment_gets_location_and_times_on_first_open(tmp_path: Path) -> None:
    clock = ManualClock(start_ms=1234)
    store = SqlStore(_uri(tmp_path), str(tmp_path / "artifacts"), clock=clock)
    try:
        default = store.get_experiment("0")
    finally:
        store.close()

    assert default.artifact_location == f"{tmp_path / 'artifacts'}/0"
    assert (default.creation_time, default.last_update_time) == (1234, 1234)


def test_reopening_keeps_data_and_ids_keep_growing(tmp_path: Path) -> None:
    root = str(tmp_path / "artifacts")
    first = SqlStore(_uri(tmp_path), root)
    try:
        created = first.create_experiment("kept")
    finally:
        first.close()

    second = SqlStore(_uri(tmp_path), root)
    try:
        assert second.get_experiment(created).name == "kept"
        assert int(second.create_experiment("next")) == int(created) + 1
    finally:
        second.close()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_sqlalchemy_url(uri: str, expected: str) -> None:
    assert sqlalchemy_url(uri) == expected


@pytest.mark.parametrize("uri", ["mysql://u@h/db", "http://localhost:5000", "trackstone.db"])
def test_unsupported_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidParameter, match="tracking URI"):
        sqlalchemy_url(uri)


def test_unknown_revision_is_a_clear_error(tmp_path: Path) -> None:
    uri = _uri(tmp_path)
    upgrade(uri)
    connection = sqlite3.connect(tmp_path / "db" / "tracking.db")
    with connection:
        connection.execute("UPDATE trackstone_schema_version SET version_num = '9999'")
    connection.close()

    with pytest.raises(InvalidState, match="9999"):
        SqlStore(uri, str(tmp_path / "artifacts"))


def _open_concurrently(uri: str, root: str, count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            SqlStore(uri, root).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_stores_opening_a_fresh_file_together_migrate_once(tmp_path: Path) -> None:
    uri = _uri(tmp_path)

    assert _open_concurrently(uri, str(tmp_path / "artifacts"), 4) == []
    assert current_revision(uri) == head_revision()


@pytest.mark.postgres
def test_postgres_migrates_to_head(postgres_uri: str, tmp_path: Path) -> None:
    assert current_revision(postgres_uri) is None

    assert _open_concurrently(postgres_uri, str(tmp_path / "artifacts"), 3) == []

    assert current_revision(postgres_uri) == head_revision()
    store = SqlStore(postgres_uri, str(tmp_path / "artifacts"), upgrade=False)
    try:
        assert store.get_experiment("0").name == "Default"
        assert store.create_experiment("first") == "1"
    finally:
        store.close()


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from trackstone.store.sql.migrate import HEAD_REVISION, alembic_head_revision

    assert alembic_head_revision() == HEAD_REVISION


def test_opening_an_up_to_date_store_does_not_load_alembic(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(uri)
    probe = (
        "import sys\n"
        "from trackstone.store.sql.store import SqlStore\n"
        f"SqlStore({uri!r}, {str(tmp_path / 'artifacts')!r}).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("table", "index"), [("params", "ix_params_key_value"), ("tags", "ix_tags_key_value")]
)
def test_sqlite_indexes_params_and_tags_by_key_then_value(
    tmp_path: Path, table: str, index: str
) -> None:
    upgrade(_uri(tmp_path))

    connection = sqlite3.connect(tmp_path / "db" / "tracking.db")
    try:
        columns = [row[2] for row in connection.execute(f"PRAGMA index_info({index})")]
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN SELECT run_pk FROM {table} WHERE key = 'k' AND value = 'v'"
        ).fetchall()
    finally:
        connection.close()

    assert columns == ["key", "value", "run_pk"]
    # A filter's sub-query is answered from the index alone.
    assert f"COVERING INDEX {index}" in plan[0][3]


def test_upgrade_from_0003_adds_the_search_indexes_and_keeps_the_data(tmp_path: Path) -> None:
    uri = _uri(tmp_path)
    store = SqlStore(uri, str(tmp_path / "artifacts"))
    try:
        run_id = store.create_run("0").info.run_id
        store.log_param(run_id, Param("lr", "0.1"))
    finally:
        store.close()
    connection = sqlite3.connect(tmp_path / "db" / "tracking.db")
    with connection:  # back to what revision 0003 left
        connection.execute("DROP INDEX ix_params_key_value")
        connection.execute("DROP INDEX ix_tags_key_value")
        for table in ("logged_model_metrics", "run_model_outputs", "run_model_inputs"):
            connection.execute(f"DROP TABLE {table}")  # what 0005 adds
        connection.execute("DROP INDEX ix_model_versions_model_updated")  # what 0006 adds
        connection.execute("UPDATE trackstone_schema_version SET version_num = '0003'")
    connection.close()

    assert upgrade(uri) == head_revision()

    store = SqlStore(uri, str(tmp_path / "artifacts"), upgrade=False)
    try:
        found = store.search_runs(["0"], "params.lr = '0.1'", ViewType.ACTIVE_ONLY, 10)
    finally:
        store.close()
    assert [run.info.run_id for run in found] == [run_id]
    connection = sqlite3.connect(tmp_path / "db" / "tracking.db")
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()
    assert {"ix_params_key_value", "ix_tags_key_value", "ix_model_versions_model_updated"} <= names
