"""``trackstone server``: run the tracking server on uvicorn, with ``mlflow server``'s flags."""

from __future__ import annotations

import copy
import logging
import os
from typing import Any

import click
from rich.console import Console

from trackstone.cli.state import CliState, pass_state

__all__ = ["server"]

logger = logging.getLogger(__name__)

_FACTORY = "trackstone.server.app:app_from_env"


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _log_config() -> dict[str, Any]:
    """Return uvicorn's logging set-up, with Trackstone's loggers on the same handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["trackstone"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _warn_if_exposed(host: str, allowed_hosts: tuple[str, ...]) -> None:
    from trackstone.server.hosts import default_allowed_hosts, is_loopback

    if is_loopback(host):
        return
    accepted = ", ".join(allowed_hosts or default_allowed_hosts(host))
    Console(stderr=True, highlight=False).print(
        f"WARNING: listening on {host}, reachable from other machines. The server has no "
        "authentication: anyone who can reach this port can read and change every experiment "
        "and artifact. Put it behind an authenticating proxy, or bind to 127.0.0.1. "
        f"Requests are answered only for these Host names: {accepted} "
        "(set more with --allowed-hosts).",
        style="bold red",
        markup=False,
        soft_wrap=True,
    )


@click.command(context_settings={"help_option_names": ["--help"]})
@click.option(
    "--host", "-h", metavar="HOST", help="Address to listen on. Default: 127.0.0.1 (loopback)."
)
@click.option(
    "--port", "-p", type=click.IntRange(1, 65535), help="Port to listen on. Default: 5000."
)
@click.option(
    "--backend-store-uri",
    metavar="URI",
    help="Metadata store: sqlite:///path.db, postgresql://... or a data folder. "
    "Default: ./trackstone-data/trackstone.db.",
)
@click.option(
    "--default-artifact-root",
    metavar="URI",
    help="Artifact location of new experiments. Default: mlflow-artifacts:/ (through this "
    "server) when serving artifacts, else the artifacts destination.",
)
@click.option(
    "--artifacts-destination",
    metavar="URI",
    help="Where served artifacts are stored. Default: an artifacts folder beside the database.",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=None,
    help="Proxy artifact uploads and downloads through the server. Default: on.",
)
@click.option("--workers", "-w", type=click.IntRange(min=1), help="Worker processes. Default: 1.")
@click.option(
    "--allowed-hosts",
    metavar="HOSTS",
    help="Comma-separated Host header values to answer (name, name:port, *.domain, or *). "
    "Default: localhost, 127.0.0.1, [::1] and the bound address.",
)
@click.option(
    "--cors-allowed-origins",
    metavar="ORIGINS",
    help="Comma-separated origins (https://ui.example) allowed to call the API from a "
    "browser. Default: none.",
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(min=1),
    help="Refuse request bodies larger than this with 413. Default: 64 MiB.",
)
@click.option(
    "--db-pool-size",
    type=click.IntRange(min=1),
    help="Database connections each worker keeps open. Default: 5.",
)
@click.option(
    "--db-max-overflow",
    type=click.IntRange(min=0),
    help="Extra database connections each worker may open under load. Default: 10.",
)
@click.option(
    "--db-pool-timeout",
    "db_pool_timeout_s",
    type=click.FloatRange(min=0),
    help="Seconds a request waits for a free database connection before a 503. Default: 30.",
)
@click.option(
    "--timeout-keep-alive",
    "keep_alive_timeout_s",
    type=click.FloatRange(min=0),
    help="Seconds an idle keep-alive connection stays open; keep it above your load "
    "balancer's upstream idle timeout. Default: 5.",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request. Default: off.",
)
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Apply pending database migrations on start (default), or refuse to start on an "
    "outdated schema.",
)
@pass_state
def server(
    state: CliState,
    host: str | None,
    port: int | None,
    backend_store_uri: str | None,
    default_artifact_root: str | None,
    artifacts_destination: str | None,
    serve_artifacts: bool | None,
    workers: int | None,
    allowed_hosts: str | None,
    cors_allowed_origins: str | None,
    max_request_bytes: int | None,
    db_pool_size: int | None,
    db_max_overflow: int | None,
    db_pool_timeout_s: float | None,
    keep_alive_timeout_s: float | None,
    access_log: bool | None,
    migrate: bool | None,
) -> None:
    """Run the tracking server (MLflow REST API) on HOST:PORT.

    Every flag also reads TRACKSTONE_<FLAG> (e.g. TRACKSTONE_BACKEND_STORE_URI) and the
    MLFLOW_* variable `mlflow server` reads.
    """
    import uvicorn

    from trackstone.config import ServerSettings
    from trackstone.server.app import create_app, open_store

    settings = ServerSettings.from_env(
        host=host,
        port=port,
        backend_store_uri=backend_store_uri or state.tracking_uri,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination,
        serve_artifacts=serve_artifacts,
        workers=workers,
        allowed_hosts=_csv(allowed_hosts),
        cors_allowed_origins=_csv(cors_allowed_origins),
        max_request_bytes=max_request_bytes,
        db_pool_size=db_pool_size,
        db_max_overflow=db_max_overflow,
        db_pool_timeout_s=db_pool_timeout_s,
        keep_alive_timeout_s=keep_alive_timeout_s,
        access_log=access_log,
        migrate=migrate,
    )
    _warn_if_exposed(settings.host, settings.allowed_hosts)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": _log_config(),
        "server_header": False,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "access_log": settings.access_log,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Migrate (or refuse) once here, so that workers do not race; they rebuild the settings
    # from the environment they inherit.
    open_store(settings).close()
    os.environ.update(settings.to_env())
    uvicorn.run(_FACTORY, factory=True, workers=settings.workers, **options)
