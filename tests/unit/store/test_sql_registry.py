"""SQL registry internals: deletes leave no rows behind, and the version counter survives them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trackstone.clock import ManualClock
from trackstone.entities.registry import (
    ModelVersionTag,
    ProductionMetric,
    RegisteredModelTag,
)
from trackstone.store.sql.engine import Database
from trackstone.store.sql.registry_tables import (
    model_aliases,
    model_baselines,
    model_version_tags,
    model_versions,
    production_metrics,
    registered_model_tags,
    registered_models,
)
from trackstone.store.sql.store import SqlStore

VERSION_TABLES = (model_aliases, model_baselines, model_version_tags, production_metrics)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore(
        f"sqlite:///{tmp_path / 'tracking.db'}", str(tmp_path / "artifacts"), ManualClock()
    )
    try:
        yield opened
    finally:
        opened.close()


def _populate(store: SqlStore, name: str) -> None:
    registry = store.registry
    registry.create_registered_model(name, tags=[RegisteredModelTag("k", "v")])
    for number in (1, 2):
        registry.create_model_version(
            name, f"s3://bucket/{number}", tags=[ModelVersionTag("k", "v")]
        )
        registry.set_registered_model_alias(name, f"a{number}x", number)
        registry.log_production_metrics(name, number, [ProductionMetric("acc", 0.5, 1)])
        registry.set_model_version_baseline(name, number, {"acc": 0.5})


def _counts(store: SqlStore) -> dict[str, int]:
    db = Database(store.uri)
    try:
        with db.read() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (
                    *VERSION_TABLES,
                    model_versions,
                    registered_model_tags,
                    registered_models,
                )
            }
    finally:
        db.dispose()


def test_deleting_a_model_leaves_no_rows_of_it(store: SqlStore) -> None:
    _populate(store, "kept")
    before = _counts(store)
    _populate(store, "gone")

    store.registry.delete_registered_model("gone")

    assert _counts(store) == before


def test_deleting_a_version_leaves_no_rows_of_it(store: SqlStore) -> None:
    _populate(store, "churn")
    before = _counts(store)

    store.registry.delete_model_version("churn", 2)

    after = _counts(store)
    assert {table.name: after[table.name] for table in VERSION_TABLES} == {
        table.name: before[table.name] - 1 for table in VERSION_TABLES
    }
    assert after["model_versions"] == before["model_versions"] - 1
