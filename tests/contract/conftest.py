"""The ``store`` fixture: every TrackingStore implementation, one parameter each.

A new backend adds one context manager to ``_FACTORIES`` and one ``pytest.param`` to
``BACKENDS``. ``store`` is fresh for each test; ``shared_store`` lives for a whole module, for
tables of read-only checks over one population (it must not be changed by those tests).
``registry`` is the model registry of ``store``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from trackstone.clock import ManualClock
from trackstone.store.base import TrackingStore
from trackstone.store.registry import RegistryStore, registry_of

StoreFactory = Callable[
    [pytest.FixtureRequest, Path, ManualClock], AbstractContextManager[TrackingStore]
]


@contextmanager
def _sqlite_store(
    request: pytest.FixtureRequest, directory: Path, clock: ManualClock
) -> Iterator[TrackingStore]:
    from trackstone.store.sql.store import SqlStore

    uri = f"sqlite:///{directory / 'tracking.db'}"
    opened = SqlStore(uri, artifact_root=str(directory / "artifacts"), clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def _postgres_store(
    request: pytest.FixtureRequest, directory: Path, clock: ManualClock
) -> Iterator[TrackingStore]:
    from trackstone.store.sql.store import SqlStore

    # Looked up lazily so that SQLite-only runs never start a cluster.
    cluster = request.getfixturevalue("postgres_cluster")
    database = cluster.create_database()
    try:
        opened = SqlStore(
            cluster.uri(database), artifact_root=str(directory / "artifacts"), clock=clock
        )
        try:
            yield opened
        finally:
            opened.close()
    finally:
        cluster.drop_database(database)


@contextmanager
def _rest_store(
    request: pytest.FixtureRequest, directory: Path, clock: ManualClock
) -> Iterator[TrackingStore]:
    """RestStore against the real server app (over uvicorn) holding a fresh SQLite store."""
    from trackstone.client.rest_store import RestStore
    from trackstone.config import ServerSettings
    from trackstone.server.app import create_app

    server = request.getfixturevalue("app_server")
    with _sqlite_store(request, directory, clock) as backing:
        # The server refuses artifact locations outside its roots: make the S3 bucket the
        # contract tests name one of them (nothing touches it), beside the store's own root.
        settings = ServerSettings(
            backend_store_uri=f"sqlite:///{directory / 'tracking.db'}",
            artifacts_destination=str(directory / "artifacts"),
            default_artifact_root="s3://bucket",
        )
        with server.mounted(create_app(settings, store=backing)) as url:
            opened = RestStore(url)
            try:
                yield opened
            finally:
                opened.close()


_FACTORIES: dict[str, StoreFactory] = {
    "sqlite": _sqlite_store,
    "postgres": _postgres_store,
    "rest": _rest_store,
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("rest", id="rest"),
]


@pytest.fixture(scope="session")
def app_server() -> Iterator[object]:
    """Run one uvicorn server for the session; ``rest`` stores mount their apps on it."""
    from support.app_server import AppServer

    with AppServer.start() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    """Return the store's clock; tests move time with ``clock.advance(ms)``."""
    return ManualClock()


@pytest.fixture
def artifact_root(tmp_path: Path) -> str:
    """Return the artifact root the ``store`` fixture is opened with."""
    return str(tmp_path / "artifacts")


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[TrackingStore]:
    """Open a fresh, empty store on each backend; close it after the test."""
    with _FACTORIES[request.param](request, tmp_path, clock) as opened:
        yield opened


@pytest.fixture
def registry(store: TrackingStore) -> RegistryStore:
    """Return the model registry of ``store`` (every backend keeps one)."""
    return registry_of(store)


@pytest.fixture(scope="module")
def shared_clock() -> ManualClock:
    """Return the clock of ``shared_store``."""
    return ManualClock()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    shared_clock: ManualClock,
) -> Iterator[TrackingStore]:
    """Open one store per backend for a whole test module (for read-only tests)."""
    directory = tmp_path_factory.mktemp(f"shared-{request.param}")
    with _FACTORIES[request.param](request, directory, shared_clock) as opened:
        yield opened
