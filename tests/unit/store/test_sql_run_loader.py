"""load_runs (SQLite, PostgreSQL): runs read back by key hold exactly what was logged."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from trackstone.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
)
from trackstone.errors import InvalidParameter
from trackstone.store.sql import schema
from trackstone.store.sql.rows import run_from_parts, run_info_from_row
from trackstone.store.sql.run_loader import load_runs, read_run
from trackstone.store.sql.store import SqlStore

# Values a JSON round trip could get wrong: escapes, control characters, characters outside
# the BMP, JSON's own syntax, and the longest value a param may hold. NUL has its own test:
# PostgreSQL text cannot hold it.
NUL_VALUE = "nul \x00 inside"
AWKWARD_VALUES = [
    "",
    'quote " and backslash \\',
    "new\nline\ttab\rreturn",
    "line separator \u2028 and emoji \U0001f600",
    '{"looks": ["like", "json"]}',
    "é" * 6000,
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 't.db'}"
    else:  # looked up lazily, so that SQLite-only runs never start a cluster
        uri = request.getfixturevalue("postgres_uri")
    sql_store = SqlStore(uri, str(tmp_path / "artifacts"))
    yield sql_store
    sql_store.close()


def _load(store: SqlStore, run_ids: list[str]) -> list[Run | None]:
    runs = schema.runs
    with store._db.read() as connection:
        keys = dict(
            connection.execute(
                select(runs.c.run_uuid, runs.c.run_pk).where(runs.c.run_uuid.in_(run_ids))
            ).all()
        )
        loaded = load_runs(connection, [keys[run_id] for run_id in run_ids] + [10**9])
    by_id = {run.info.run_id: run for run in loaded.values()}
    return [by_id.get(run_id) for run_id in run_ids]


@pytest.mark.parametrize("value", AWKWARD_VALUES)
def test_param_and_tag_values_come_back_exactly(store: SqlStore, value: str) -> None:
    run_id = store.create_run("0", run_name="awkward").info.run_id
    store.log_batch(
        run_id, params=[Param("p", value), Param("q", "plain")], tags=[RunTag("t", value)]
    )

    (run,) = _load(store, [run_id])

    assert run is not None
    assert run.data.params == {"p": value, "q": "plain"}
    assert run.data.tags == {"mlflow.runName": "awkward", "t": value}
    assert store.get_run(run_id) == run  # read_run: the same rows narrowed to one key


def test_nul_written_before_it_was_refused_still_loads_on_sqlite(tmp_path: Path) -> None:
    """NUL is refused in new values now; a database written before that still loads whole."""
    path = tmp_path / "nul.db"
    sqlite_store = SqlStore(f"sqlite:///{path}", str(tmp_path / "artifacts"))
    try:
        run_id = sqlite_store.create_run("0", run_name="nul").info.run_id
        sqlite_store.log_batch(run_id, params=[Param("p", "x")], tags=[RunTag("t", "x")])
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE params SET value = ?", (NUL_VALUE,))
            raw.execute("UPDATE tags SET value = ? WHERE key = 't'", (NUL_VALUE,))
        (run,) = _load(sqlite_store, [run_id])
    finally:
        sqlite_store.close()
    assert run is not None
    assert (run.data.params["p"], run.data.tags["t"]) == (NUL_VALUE, NUL_VALUE)


@pytest.mark.postgres
def test_postgres_refuses_nul_that_gets_past_the_entities_and_writes_nothing(
    tmp_path: Path, postgres_uri: str
) -> None:
    """The entities refuse NUL; should one get past them, PostgreSQL's refusal is a clean 400."""
    smuggled = Param("p", "x")
    object.__setattr__(smuggled, "value", NUL_VALUE)
    pg_store = SqlStore(postgres_uri, str(tmp_path / "artifacts"))
    try:
        run_id = pg_store.create_run("0", run_name="nul").info.run_id
        with pytest.raises(InvalidParameter):
            pg_store.log_batch(run_id, params=[smuggled, Param("ok", "1")])
        (run,) = _load(pg_store, [run_id])
    finally:
        pg_store.close()
    assert run is not None and run.data.params == {}


def test_each_run_gets_its_own_data_and_runs_without_data_get_empty_maps(
    store: SqlStore,
) -> None:
    bare = store.create_run("0", run_name="bare").info.run_id
    full = store.create_run("0", run_name="full").info.run_id
    store.log_batch(
        full,
        metrics=[
            Metric("nan", math.nan, 5, 1),
            Metric("neg", -0.0, 6, 2),
            Metric("loss", 0.25, 7, 3),
        ],
        params=[Param("lr", "0.1")],
        tags=[RunTag("team", "a")],
    )
    dataset = Dataset("d", "abc", "local", "file:///d", None, None)
    store.log_inputs(full, [DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))])

    loaded_full, loaded_bare = _load(store, [full, bare])

    assert loaded_bare is not None and loaded_full is not None
    assert loaded_bare.data == RunData(tags={"mlflow.runName": "bare"})
    assert loaded_bare.inputs == RunInputs()
    assert loaded_full.data.params == {"lr": "0.1"}
    assert loaded_full.data.tags == {"mlflow.runName": "full", "team": "a"}
    values = {m.key: (m.value, m.timestamp, m.step) for m in loaded_full.data.latest_metrics}
    assert [m.key for m in loaded_full.data.latest_metrics] == ["loss", "nan", "neg"]
    assert values["loss"] == (0.25, 7, 3)
    assert math.isnan(values["nan"][0])
    assert math.copysign(1.0, values["neg"][0]) == -1.0
    assert [i.dataset.name for i in loaded_full.inputs.dataset_inputs] == ["d"]
    assert loaded_full == store.get_run(full)


ROW = ("id1", 4, "name", "user", "FINISHED", 10, None, "file:///a", "deleted")


def test_run_info_from_row_equals_the_constructor() -> None:
    assert run_info_from_row(ROW) == RunInfo(
        run_id="id1",
        experiment_id="4",
        run_name="name",
        user_id="user",
        status=RunStatus.FINISHED,
        start_time=10,
        end_time=None,
        artifact_uri="file:///a",
        lifecycle_stage=LifecycleStage.DELETED,
    )


@pytest.mark.parametrize(
    "dataset_inputs",
    [(), (DatasetInput(Dataset("d", "abc", "local", "file:///d", None, None), ()),)],
)
def test_run_from_parts_equals_the_constructors(
    dataset_inputs: tuple[DatasetInput, ...],
) -> None:
    info = run_info_from_row(ROW)
    latest = (Metric("m", 1.0, 2, 3),)

    built = run_from_parts(info, latest, {"p": "1"}, {"t": "2"}, dataset_inputs)

    assert built == Run(
        info=info,
        data=RunData(latest_metrics=latest, params={"p": "1"}, tags={"t": "2"}),
        inputs=RunInputs(dataset_inputs=dataset_inputs),
    )
    assert vars(built.data).keys() == vars(RunData()).keys()


def test_read_run_by_id_equals_load_runs_and_misses_give_none(store: SqlStore) -> None:
    run_id = store.create_run("0", run_name="one").info.run_id
    store.create_run("0", run_name="other")
    store.log_batch(run_id, metrics=[Metric("m", 1.5, 3, 4)], params=[Param("p", "1")])
    dataset = Dataset("d", "abc", "local", "file:///d", None, None)
    store.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "eval"),))])
    (loaded,) = _load(store, [run_id])

    with store._db.read_cursor() as cursor:
        found = read_run(cursor, store._db.is_sqlite, run_id)
        missing = read_run(cursor, store._db.is_sqlite, "0" * 32)

    assert found is not None and found == loaded
    assert found.inputs.dataset_inputs[0].tags == (InputTag("mlflow.data.context", "eval"),)
    assert missing is None
