"""Settings, built once (explicit values > ``TRACKSTONE_*``/``MLFLOW_*`` env > defaults).

This is the only module that reads the environment. Everything else receives a ``Settings``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from trackstone.errors import InvalidParameter

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "DEFAULT_MAX_REQUEST_BYTES",
    "PROXIED_ARTIFACT_ROOT",
    "ServerSettings",
    "Settings",
    "default_artifact_root",
    "normalize_tracking_uri",
]

DEFAULT_DATA_DIR = "trackstone-data"
DATABASE_FILE = "trackstone.db"
ARTIFACTS_FOLDER = "artifacts"
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024 * 1024
PROXIED_ARTIFACT_ROOT = "mlflow-artifacts:/"
_FALSE_WORDS = ("0", "false", "no", "off")


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
        ingest_process: whether big runs of metric points for a SQLite store are stored by a
            helper process (``TRACKSTONE_INGEST_PROCESS``; see ``store/sql/ingest_process.py``).
        experiment_name / experiment_id: the experiment the fluent API starts in.
        run_id: a run the fluent API's first ``start_run()`` resumes instead of creating one
            (``TRACKSTONE_RUN_ID`` / ``MLFLOW_RUN_ID``, as set by launchers).
        tracking_token, tracking_username, tracking_password: credentials for a remote server.
        s3_endpoint_url: the endpoint of an S3-compatible artifact store (None: AWS S3).
    """

    tracking_uri: str = ""
    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    artifact_root: str = ""
    spool_dir: Path = field(default_factory=lambda: _default_spool_dir(os.environ))
    async_logging: bool = True
    flush_interval_s: float = 0.2
    flush_timeout_s: float = 30.0
    ingest_process: bool = True
    experiment_name: str | None = None
    experiment_id: str | None = None
    run_id: str | None = None
    tracking_token: str | None = None
    tracking_username: str | None = None
    tracking_password: str | None = None
    s3_endpoint_url: str | None = None

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
            values["async_logging"] = _flag(async_flag)
        ingest_flag = _first(env, "TRACKSTONE_INGEST_PROCESS")
        if ingest_flag:
            values["ingest_process"] = _flag(ingest_flag)
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
        values["run_id"] = _first(env, "TRACKSTONE_RUN_ID", "MLFLOW_RUN_ID")
        values["tracking_token"] = _first(env, "TRACKSTONE_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")
        values["tracking_username"] = _first(
            env, "TRACKSTONE_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME"
        )
        values["tracking_password"] = _first(
            env, "TRACKSTONE_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"
        )
        values["s3_endpoint_url"] = _first(
            env, "TRACKSTONE_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL"
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_tracking_uri(self, uri: str) -> Settings:
        """Return a copy pointing at another store (the default artifact root is re-derived)."""
        return replace(self, tracking_uri=uri, artifact_root="")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _flag(value: str) -> bool:
    return value.strip().lower() not in _FALSE_WORDS


# Setting name -> (parser, variables read in order). The MLFLOW_* names are those of
# ``mlflow server``, so deployment scripts carry over.
_SERVER_ENV: dict[str, tuple[Callable[[str], object], tuple[str, ...]]] = {
    "host": (str, ("TRACKSTONE_HOST", "MLFLOW_HOST")),
    "port": (int, ("TRACKSTONE_PORT", "MLFLOW_PORT")),
    "backend_store_uri": (str, ("TRACKSTONE_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI")),
    "default_artifact_root": (
        str,
        ("TRACKSTONE_DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    ),
    "artifacts_destination": (
        str,
        ("TRACKSTONE_ARTIFACTS_DESTINATION", "MLFLOW_ARTIFACTS_DESTINATION"),
    ),
    "serve_artifacts": (_flag, ("TRACKSTONE_SERVE_ARTIFACTS", "MLFLOW_SERVE_ARTIFACTS")),
    "workers": (int, ("TRACKSTONE_WORKERS", "MLFLOW_WORKERS")),
    "allowed_hosts": (_csv, ("TRACKSTONE_ALLOWED_HOSTS", "MLFLOW_SERVER_ALLOWED_HOSTS")),
    "cors_allowed_origins": (
        _csv,
        ("TRACKSTONE_CORS_ALLOWED_ORIGINS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"),
    ),
    "max_request_bytes": (int, ("TRACKSTONE_MAX_REQUEST_BYTES",)),
    "max_artifact_bytes": (int, ("TRACKSTONE_MAX_ARTIFACT_BYTES",)),
    "s3_endpoint_url": (str, ("TRACKSTONE_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL")),
    "migrate": (_flag, ("TRACKSTONE_MIGRATE",)),
    "data_dir": (Path, ("TRACKSTONE_DATA_DIR",)),
    "db_pool_size": (int, ("TRACKSTONE_DB_POOL_SIZE",)),
    "db_max_overflow": (int, ("TRACKSTONE_DB_MAX_OVERFLOW",)),
    "db_pool_timeout_s": (float, ("TRACKSTONE_DB_POOL_TIMEOUT_S",)),
    "keep_alive_timeout_s": (float, ("TRACKSTONE_KEEP_ALIVE_TIMEOUT_S",)),
    "access_log": (_flag, ("TRACKSTONE_ACCESS_LOG",)),
}


@dataclass(frozen=True)
class ServerSettings:
    """Everything configurable about ``trackstone server``: flags > ``TRACKSTONE_*`` env > defaults.

    Attributes:
        host, port: where to listen; loopback unless told otherwise.
        backend_store_uri: the metadata store (``sqlite:///...``, ``postgresql://...`` or a data
            folder). Defaults to ``<data_dir>/trackstone.db``.
        default_artifact_root: the artifact location of new experiments. Defaults to
            ``mlflow-artifacts:/`` (clients go through the server's proxy) when artifacts are
            served, else to ``artifacts_destination``.
        artifacts_destination: where the artifact proxy stores files. Defaults to the
            ``artifacts`` folder beside a SQLite database, else in the data folder.
        serve_artifacts: whether the server proxies artifact uploads and downloads.
        workers: uvicorn worker processes.
        allowed_hosts: accepted ``Host`` header values (``name``, ``name:port``, ``*.domain``,
            ``*``). Empty means loopback names and the bound address.
        cors_allowed_origins: origins (``https://ui.example``) given CORS headers; none by default.
        max_request_bytes: larger request bodies are refused with 413 before they are read.
        max_artifact_bytes: the same limit for artifact uploads through the proxy (PUT).
        s3_endpoint_url: the endpoint of an S3-compatible artifact store (None: AWS S3).
        migrate: apply pending schema migrations on start (else refuse to start on an old schema).
        data_dir: the folder of the default database and artifacts.
        db_pool_size, db_max_overflow, db_pool_timeout_s: each process's database connection
            pool: connections kept open, extra ones allowed under load, and how long a request
            waits for one before it is answered 503.
        keep_alive_timeout_s: how long an idle HTTP keep-alive connection stays open.
        access_log: log one line per request (off by default: it costs each small call
            about as much as the call's own work).
    """

    host: str = "127.0.0.1"
    port: int = 5000
    backend_store_uri: str = ""
    default_artifact_root: str = ""
    artifacts_destination: str = ""
    serve_artifacts: bool = True
    workers: int = 1
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES
    s3_endpoint_url: str | None = None
    migrate: bool = True
    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    db_pool_size: int = 5
    db_max_overflow: int = 10
    db_pool_timeout_s: float = 30.0
    keep_alive_timeout_s: float = 5.0
    access_log: bool = False

    def __post_init__(self) -> None:
        for name in (
            "db_pool_size",
            "db_max_overflow",
            "db_pool_timeout_s",
            "keep_alive_timeout_s",
        ):
            value = getattr(self, name)
            low = 1 if name == "db_pool_size" else 0
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise InvalidParameter(f"{name}: must be a number >= {low}, got {value!r}")
        uri = normalize_tracking_uri(self.backend_store_uri or str(self.data_dir))
        object.__setattr__(self, "backend_store_uri", uri)
        if not self.artifacts_destination:
            destination = default_artifact_root(uri, Path(self.data_dir))
            object.__setattr__(self, "artifacts_destination", destination)
        if not self.default_artifact_root:
            root = PROXIED_ARTIFACT_ROOT if self.serve_artifacts else self.artifacts_destination
            object.__setattr__(self, "default_artifact_root", root)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> ServerSettings:
        """Build server settings from the environment, letting explicit ``overrides`` win.

        Each setting reads ``TRACKSTONE_<NAME>`` (e.g. ``TRACKSTONE_BACKEND_STORE_URI``), then
        the ``MLFLOW_*`` variable ``mlflow server`` reads, if any. Lists are comma-separated.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, (parse, variables) in _SERVER_ENV.items():
            value = _first(env, *variables)
            if not value:
                continue
            try:
                values[name] = parse(value)
            except ValueError:
                variable = next(v for v in variables if env.get(v))
                kind = "a number" if parse is float else "an integer"
                raise InvalidParameter(f"{variable}: must be {kind}, got {value!r}") from None
        data_dir = _first(env, "TRACKSTONE_DATA_DIR")
        if data_dir:
            values["data_dir"] = Path(data_dir)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """Return the ``TRACKSTONE_*`` variables that rebuild these settings in a worker process."""
        return {
            "TRACKSTONE_HOST": self.host,
            "TRACKSTONE_PORT": str(self.port),
            "TRACKSTONE_BACKEND_STORE_URI": self.backend_store_uri,
            "TRACKSTONE_DEFAULT_ARTIFACT_ROOT": self.default_artifact_root,
            "TRACKSTONE_ARTIFACTS_DESTINATION": self.artifacts_destination,
            "TRACKSTONE_SERVE_ARTIFACTS": "1" if self.serve_artifacts else "0",
            "TRACKSTONE_WORKERS": str(self.workers),
            "TRACKSTONE_ALLOWED_HOSTS": ",".join(self.allowed_hosts),
            "TRACKSTONE_CORS_ALLOWED_ORIGINS": ",".join(self.cors_allowed_origins),
            "TRACKSTONE_MAX_REQUEST_BYTES": str(self.max_request_bytes),
            "TRACKSTONE_MAX_ARTIFACT_BYTES": str(self.max_artifact_bytes),
            "TRACKSTONE_S3_ENDPOINT_URL": self.s3_endpoint_url or "",
            "TRACKSTONE_MIGRATE": "1" if self.migrate else "0",
            "TRACKSTONE_DATA_DIR": str(self.data_dir),
            "TRACKSTONE_DB_POOL_SIZE": str(self.db_pool_size),
            "TRACKSTONE_DB_MAX_OVERFLOW": str(self.db_max_overflow),
            "TRACKSTONE_DB_POOL_TIMEOUT_S": str(self.db_pool_timeout_s),
            "TRACKSTONE_KEEP_ALIVE_TIMEOUT_S": str(self.keep_alive_timeout_s),
            "TRACKSTONE_ACCESS_LOG": "1" if self.access_log else "0",
        }

    def store_settings(self) -> Settings:
        """Return the ``Settings`` the server's tracking store is opened with."""
        return Settings(
            tracking_uri=self.backend_store_uri,
            data_dir=self.data_dir,
            artifact_root=self.default_artifact_root,
        )
