"""Point the fluent API at a test's own store, untouched by tracking settings in the environment.

A test module imports ``fluent_server`` to get the fixture ``server``.

Example:
    @pytest.fixture
    def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
        with fluent_tracking(tmp_path / "data", tmp_path, monkeypatch, async_logging=False):
            yield tmp_path / "data"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import trackstone
from support.server_process import ServerProcess, start_server

__all__ = ["FLUENT_ENV", "fluent_server", "fluent_tracking"]

# Every variable the fluent API's settings read, except the spool folder and the logging mode,
# which fluent_tracking sets: a developer's shell must not steer a test to another store or run.
FLUENT_ENV = (
    "TRACKSTONE_TRACKING_URI",
    "MLFLOW_TRACKING_URI",
    "TRACKSTONE_DATA_DIR",
    "TRACKSTONE_ARTIFACT_ROOT",
    "TRACKSTONE_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_NAME",
    "TRACKSTONE_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_ID",
    "TRACKSTONE_RUN_ID",
    "MLFLOW_RUN_ID",
    "TRACKSTONE_TRACKING_TOKEN",
    "MLFLOW_TRACKING_TOKEN",
    "TRACKSTONE_TRACKING_USERNAME",
    "MLFLOW_TRACKING_USERNAME",
    "TRACKSTONE_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_PASSWORD",
)


@contextmanager
def fluent_tracking(
    tracking_uri: str | Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    async_logging: bool | None = None,
) -> Iterator[None]:
    """Track to ``tracking_uri`` with a spool in ``tmp_path``; end runs left open on exit.

    ``async_logging`` sets the logging mode (``None``: the default). On exit the fluent API is
    pointed at an unused folder, which closes the client this test opened.
    """
    for name in FLUENT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKSTONE_SPOOL_DIR", str(tmp_path / "spool"))
    if async_logging is not None:
        monkeypatch.setenv("TRACKSTONE_ASYNC_LOGGING", "1" if async_logging else "0")
    trackstone.set_tracking_uri(tracking_uri)
    try:
        yield
    finally:
        while trackstone.active_run() is not None:
            trackstone.end_run()
        trackstone.set_tracking_uri(tmp_path / "unused")


@pytest.fixture(name="server")
def fluent_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """Start a ``trackstone server`` and point the fluent API at it; spool in tmp_path."""
    started = start_server(tmp_path / "server")
    try:
        with fluent_tracking(started.url, tmp_path, monkeypatch):
            yield started
    finally:
        started.stop()
