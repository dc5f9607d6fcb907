"""ServerSettings: defaults, TRACKSTONE_* and MLFLOW_* variables, flags winning, worker hand-off."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackstone.config import DEFAULT_MAX_REQUEST_BYTES, ServerSettings
from trackstone.errors import InvalidParameter


def test_defaults_are_loopback_and_one_data_folder(tmp_path: Path) -> None:
    settings = ServerSettings.from_env({}, data_dir=tmp_path)
    db = (tmp_path / "trackstone.db").resolve()
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 5000, 1)
    assert settings.backend_store_uri == f"sqlite:///{db}"
    assert settings.artifacts_destination == str(db.parent / "artifacts")
    assert settings.default_artifact_root == "mlflow-artifacts:/"
    assert (settings.allowed_hosts, settings.cors_allowed_origins) == ((), ())
    assert settings.max_request_bytes == DEFAULT_MAX_REQUEST_BYTES
    assert settings.serve_artifacts and settings.migrate


def test_without_serving_artifacts_the_root_is_the_destination(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path, serve_artifacts=False)
    assert settings.default_artifact_root == settings.artifacts_destination


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("TRACKSTONE_HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("MLFLOW_HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("TRACKSTONE_PORT", "8080", "port", 8080),
        ("MLFLOW_PORT", "8081", "port", 8081),
        ("TRACKSTONE_WORKERS", "4", "workers", 4),
        ("TRACKSTONE_SERVE_ARTIFACTS", "false", "serve_artifacts", False),
        ("MLFLOW_SERVE_ARTIFACTS", "0", "serve_artifacts", False),
        ("TRACKSTONE_MIGRATE", "no", "migrate", False),
        ("TRACKSTONE_ALLOWED_HOSTS", "a.example, b.example:80", "allowed_hosts",
         ("a.example", "b.example:80")),
        ("MLFLOW_SERVER_ALLOWED_HOSTS", "a.example", "allowed_hosts", ("a.example",)),
        ("TRACKSTONE_CORS_ALLOWED_ORIGINS", "https://ui.example,", "cors_allowed_origins",
         ("https://ui.example",)),
        ("TRACKSTONE_MAX_REQUEST_BYTES", "1024", "max_request_bytes", 1024),
        ("TRACKSTONE_BACKEND_STORE_URI", "postgresql://u@h/db", "backend_store_uri",
         "postgresql://u@h/db"),
        ("TRACKSTONE_DEFAULT_ARTIFACT_ROOT", "s3://bucket/x", "default_artifact_root",
         "s3://bucket/x"),
        ("MLFLOW_ARTIFACTS_DESTINATION", "s3://bucket/y", "artifacts_destination",
         "s3://bucket/y"),
        ("TRACKSTONE_DB_POOL_SIZE", "20", "db_pool_size", 20),
        ("TRACKSTONE_DB_MAX_OVERFLOW", "0", "db_max_overflow", 0),
        ("TRACKSTONE_DB_POOL_TIMEOUT_S", "2.5", "db_pool_timeout_s", 2.5),
        ("TRACKSTONE_KEEP_ALIVE_TIMEOUT_S", "75", "keep_alive_timeout_s", 75.0),
        ("TRACKSTONE_ACCESS_LOG", "1", "access_log", True),
        ("TRACKSTONE_ACCESS_LOG", "0", "access_log", False),
    ],
)  # fmt: skip
def test_environment_variables(variable: str, value: str, field: str, expected: object) -> None:
    assert getattr(ServerSettings.from_env({variable: value}), field) == expected


def test_trackstone_variables_win_over_mlflow_ones() -> None:
    env = {"TRACKSTONE_PORT": "7000", "MLFLOW_PORT": "7001"}
    assert ServerSettings.from_env(env).port == 7000


def test_flags_win_over_the_environment() -> None:
    env = {"TRACKSTONE_PORT": "7000", "TRACKSTONE_SERVE_ARTIFACTS": "1"}
    settings = ServerSettings.from_env(env, port=7002, serve_artifacts=False)
    assert (settings.port, settings.serve_artifacts) == (7002, False)


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(InvalidParameter, match="TRACKSTONE_PORT: must be an integer, got 'x'"):
        ServerSettings.from_env({"TRACKSTONE_PORT": "x"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRACKSTONE_DB_POOL_TIMEOUT_S": "soon"}, "_TIMEOUT_S: must be a number, got .soon."),
        ({"TRACKSTONE_DB_POOL_SIZE": "0"}, "db_pool_size: must be a number >= 1, got 0"),
        ({"TRACKSTONE_DB_MAX_OVERFLOW": "-1"}, "db_max_overflow: must be a number >= 0, got -1"),
        ({"TRACKSTONE_KEEP_ALIVE_TIMEOUT_S": "-2"}, "keep_alive_timeout_s: must be a number >= 0"),
    ],
)
def test_bad_pool_and_keep_alive_settings_name_the_setting(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        ServerSettings.from_env(env)


def test_the_server_store_uses_the_configured_pool(tmp_path: Path) -> None:
    from trackstone.server.app import open_store

    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'x.db'}",
        db_pool_size=3,
        db_max_overflow=1,
        db_pool_timeout_s=0.5,
    )
    store = open_store(settings)
    try:
        pool = store._db.engine.pool  # the seam SQLAlchemy offers to read a pool's shape
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 1, 0.5)  # type: ignore[attr-defined]
    finally:
        store.close()


def test_workers_rebuild_the_same_settings_from_the_environment(tmp_path: Path) -> None:
    settings = ServerSettings(
        host="10.0.0.1",
        port=6000,
        backend_store_uri=f"sqlite:///{tmp_path / 'x.db'}",
        artifacts_destination=str(tmp_path / "a"),
        serve_artifacts=False,
        workers=3,
        allowed_hosts=("x.example",),
        cors_allowed_origins=("https://ui.example",),
        max_request_bytes=10,
        migrate=False,
        data_dir=tmp_path,
        db_pool_size=7,
        db_max_overflow=3,
        db_pool_timeout_s=1.5,
        keep_alive_timeout_s=30.0,
        access_log=True,
    )
    assert ServerSettings.from_env(settings.to_env()) == settings


def test_store_settings_point_at_the_backend(tmp_path: Path) -> None:
    settings = ServerSettings(backend_store_uri=f"sqlite:///{tmp_path / 'x.db'}")
    store_settings = settings.store_settings()
    assert store_settings.tracking_uri == settings.backend_store_uri
    assert store_settings.artifact_root == settings.default_artifact_root
