"""Settings precedence (explicit > env > defaults) and URI normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackstone.config import Settings, normalize_tracking_uri


def test_defaults_put_everything_in_one_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"HOME": str(tmp_path)}, data_dir=tmp_path / "data")
    db = (tmp_path / "data" / "trackstone.db").resolve()
    assert settings.tracking_uri == f"sqlite:///{db}"
    assert settings.artifact_root == str(db.parent / "artifacts")


def test_trackstone_env_wins_over_mlflow_env() -> None:
    env = {"TRACKSTONE_TRACKING_URI": "http://a:5000", "MLFLOW_TRACKING_URI": "http://b:5000"}
    assert Settings.from_env(env).tracking_uri == "http://a:5000"


def test_mlflow_env_is_a_fallback() -> None:
    env = {"MLFLOW_TRACKING_URI": "http://b:5000", "MLFLOW_TRACKING_TOKEN": "t"}
    settings = Settings.from_env(env)
    assert settings.tracking_uri == "http://b:5000"
    assert settings.tracking_token == "t"


def test_explicit_overrides_beat_the_environment() -> None:
    env = {"TRACKSTONE_TRACKING_URI": "http://a:5000", "TRACKSTONE_FLUSH_INTERVAL_S": "2"}
    settings = Settings.from_env(env, tracking_uri="http://c:1", flush_interval_s=0.5)
    assert (settings.tracking_uri, settings.flush_interval_s) == ("http://c:1", 0.5)


@pytest.mark.parametrize(("flag", "expected"), [("0", False), ("false", False), ("1", True)])
def test_async_logging_flag(flag: str, expected: bool) -> None:
    assert Settings.from_env({"TRACKSTONE_ASYNC_LOGGING": flag}).async_logging is expected


def test_relative_sqlite_uris_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalize_tracking_uri("sqlite:///x/db.sqlite") == f"sqlite:///{tmp_path}/x/db.sqlite"
    assert normalize_tracking_uri("folder") == f"sqlite:///{tmp_path}/folder/trackstone.db"


@pytest.mark.parametrize(
    "uri", ["postgresql://u@h/db", "http://127.0.0.1:5000", "https://x", "sqlite:///:memory:"]
)
def test_other_uris_are_kept(uri: str) -> None:
    assert normalize_tracking_uri(uri) == uri


def test_artifact_root_beside_a_sqlite_file(tmp_path: Path) -> None:
    settings = Settings(tracking_uri=f"sqlite:///{tmp_path}/a/b.db")
    assert settings.artifact_root == f"{tmp_path}/a/artifacts"
