"""The ``store`` fixture: every TrackingStore implementation, one parameter each.

A new backend adds one entry to ``_FACTORIES`` and one ``pytest.param`` to ``BACKENDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trackstone.clock import ManualClock
from trackstone.store.base import TrackingStore

StoreFactory = Callable[[pytest.FixtureRequest, Path, str, ManualClock], TrackingStore]


def _sqlite_store(
    request: pytest.FixtureRequest, tmp_path: Path, artifact_root: str, clock: ManualClock
) -> TrackingStore:
    from trackstone.store.sql.store import SqlStore

    return SqlStore(
        f"sqlite:///{tmp_path / 'tracking.db'}", artifact_root=artifact_root, clock=clock
    )


def _postgres_store(
    request: pytest.FixtureRequest, tmp_path: Path, artifact_root: str, clock: ManualClock
) -> TrackingStore:
    from trackstone.store.sql.store import SqlStore

    # Looked up lazily so that SQLite-only runs never start a cluster.
    uri: str = request.getfixturevalue("postgres_uri")
    return SqlStore(uri, artifact_root=artifact_root, clock=clock)


_FACTORIES: dict[str, StoreFactory] = {
    "sqlite": _sqlite_store,
    "postgres": _postgres_store,
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def clock() -> ManualClock:
    """Return the store's clock; tests move time with ``clock.advance(ms)``."""
    return ManualClock()


@pytest.fixture
def artifact_root(tmp_path: Path) -> str:
    """Return the artifact root the store is opened with."""
    return str(tmp_path / "artifacts")


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, artifact_root: str, clock: ManualClock
) -> Iterator[TrackingStore]:
    """Open a fresh, empty store on each backend; close it after the test."""
    backend_name: str = request.param
    opened = _FACTORIES[backend_name](request, tmp_path, artifact_root, clock)
    try:
        yield opened
    finally:
        opened.close()
