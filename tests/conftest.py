"""Fixtures shared by every test folder: throwaway PostgreSQL cluster and databases, S3 server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.postgres import PostgresCluster, PostgresUnavailable, start_cluster
from support.s3 import s3_bucket, s3_server  # noqa: F401  (fixtures)


def _unavailable(reason: str) -> None:
    """Skip locally, but fail under CI: CI must run the PostgreSQL tests."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def postgres_cluster(request: pytest.FixtureRequest) -> Iterator[PostgresCluster]:
    """Start one throwaway cluster per test process (per xdist worker); stop it at the end."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    try:
        cluster = start_cluster(label=worker)
    except PostgresUnavailable as error:
        _unavailable(str(error))
        raise  # unreachable: _unavailable always raises
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_uri(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """Return the URI of a fresh, empty database of its own; drop it after the test."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.uri(name)
    postgres_cluster.drop_database(name)
