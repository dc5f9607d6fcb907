"""Settings, built once (explicit values > ``TRACKSTONE_*``/``MLFLOW_*`` env > defaults).

This is the only module that reads the environment. Everything else receives a ``Settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "DEFAULT_DATA_DIR",
    "Settings",
    "default_artifact_root",
    "normalize_tracking_uri",
]

DEFAULT_DATA_DIR = "trackstone-data"
DATABASE_FILE = "trackstone.db"
ARTIFACTS_FOLDER = "artifacts"


def _first(environ: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def _default_spool_dir(environ: Mapping[str, str]) -> Path:
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "trackstone" / "spool"


def normalize_tracking_uri(uri: str) -> str:
    """Make a tracking URI absolute: relative SQLite paths and bare folders become full URIs.

    A bare path (``./data``) names a data folder, whose database file is ``trackstone.db``.
    """
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///") :]
        if path in ("", ":memory:"):
            return uri
        return "sqlite:///" + str(Path(path).expanduser().resolve())
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    if "://" not in uri:
        return "sqlite:///" + str(Path(uri).expanduser().resolve() / DATABASE_FILE)
    return uri


def default_artifact_root(tracking_uri: str, data_dir: Path) -> str:
    """Pick where artifacts go when nothing says: beside a SQLite file, else in the data folder."""
    if tracking_uri.startswith("sqlite:///") and ":memory:" not in tracking_uri:
        db_path = Path(tracking_uri[len("sqlite:///") :])
        return str(db_path.parent / ARTIFACTS_FOLDER)
    return str((data_dir / ARTIFACTS_FOLDER).resolve())


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a Trackstone client or store.

    Attributes:
        tracking_uri: where metadata lives: ``sqlite:///...``, ``postgresql://...`` or
            ``http(s)://...``. Defaults to ``<data_dir>/trackstone.db``.
        data_dir: the folder holding the embedded database and artifacts by default.
        artifact_root: default artifact location for new experiments (a path or URI).
        spool_dir: where the durable logging spool keeps records until they are stored.
        async_logging: whether metrics/params/tags go through the spool (True) or straight
            to the store (False).
        flush_interval_s: how often the background sender ships spooled records.
        flush_timeout_s: how long ``end_run`` and interpreter exit wait for the spool to drain.
        experiment_name / experiment_id: the experiment the fluent API starts in.
        tracking_token, tracking_username, tracking_password: credentials for a remote server.
    """

    tracking_uri: str = ""
    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    artifact_root: str = ""
    spool_dir: Path = field(default_factory=lambda: _default_spool_dir(os.environ))
    async_logging: bool = True
    flush_interval_s: float = 0.2
    flush_timeout_s: float = 30.0
    experiment_name: str | None = None
    experiment_id: str | None = None
    tracking_token: str | None = None
    tracking_username: str | None = None
    tracking_password: str | None = None

    def __post_init__(self) -> None:
        uri = normalize_tracking_uri(self.tracking_uri or str(self.data_dir))
        object.__setattr__(self, "tracking_uri", uri)
        if not self.artifact_root:
            root = default_artifact_root(uri, Path(self.data_dir))
            object.__setattr__(self, "artifact_root", root)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment, letting explicit ``overrides`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        data_dir = _first(env, "TRACKSTONE_DATA_DIR")
        if data_dir:
            values["data_dir"] = Path(data_dir)
        uri = _first(env, "TRACKSTONE_TRACKING_URI", "MLFLOW_TRACKING_URI")
        if uri:
            values["tracking_uri"] = uri
        root = _first(env, "TRACKSTONE_ARTIFACT_ROOT")
        if root:
            values["artifact_root"] = root
        values["spool_dir"] = Path(_first(env, "TRACKSTONE_SPOOL_DIR") or _default_spool_dir(env))
        async_flag = _first(env, "TRACKSTONE_ASYNC_LOGGING")
        if async_flag:
            values["async_logging"] = async_flag.strip().lower() not in ("0", "false", "no")
        interval = _first(env, "TRACKSTONE_FLUSH_INTERVAL_S")
        if interval:
            values["flush_interval_s"] = float(interval)
        timeout = _first(env, "TRACKSTONE_FLUSH_TIMEOUT_S")
        if timeout:
            values["flush_timeout_s"] = float(timeout)
        values["experiment_name"] = _first(
            env, "TRACKSTONE_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME"
        )
        values["experiment_id"] = _first(env, "TRACKSTONE_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID")
        values["tracking_token"] = _first(env, "TRACKSTONE_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")
        values["tracking_username"] = _first(
            env, "TRACKSTONE_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME"
        )
        values["tracking_password"] = _first(
            env, "TRACKSTONE_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_tracking_uri(self, uri: str) -> Settings:
        """Return a copy pointing at another store (the default artifact root is re-derived)."""
        return replace(self, tracking_uri=uri, artifact_root="")
