"""Fixtures for server unit tests: a real SQLite store in tmp_path and a TestClient on the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.asgi_client import TestClient
from trackstone.config import ServerSettings
from trackstone.store.sql.store import SqlStore

BASE_URL = "http://127.0.0.1:5000"


@pytest.fixture
def settings(tmp_path: Path) -> ServerSettings:
    """Return default server settings with the database and artifacts in tmp_path."""
    return ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'trackstone.db'}",
        artifacts_destination=str(tmp_path / "artifacts"),
    )


@pytest.fixture
def store(settings: ServerSettings) -> Iterator[SqlStore]:
    """Return a real SQLite store, closed after the test."""
    sql_store = SqlStore(settings.backend_store_uri, settings.default_artifact_root)
    yield sql_store
    sql_store.close()


@pytest.fixture
def client(settings: ServerSettings, store: SqlStore) -> Iterator[TestClient]:
    """Return a client of the whole app (every middleware) as if reached at 127.0.0.1:5000."""
    from trackstone.server.app import create_app

    with TestClient(create_app(settings, store), base_url=BASE_URL) as test_client:
        yield test_client
