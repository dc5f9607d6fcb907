"""Purges keep runs that model versions still need: the check inside the purge's transaction.

A version needs a run when it names the run (``run_id``) or its storage location lies in the
run's artifacts, as ``RegistryStore.run_ids_in_use`` says. gc asks that first; this check
runs again inside the purge's own write transaction, so a version registered after gc asked
still protects its run.

Concurrency: on SQLite every write transaction holds the database's write lock (``BEGIN
IMMEDIATE``), so a purge and a registration never interleave. On PostgreSQL a registration
holds a ``FOR SHARE`` lock on the run it resolves (``registry_sources.run_artifact_uri``) and a
purge locks the runs it removes (``FOR NO KEY UPDATE``) before checking: whichever comes
second waits for the first to commit, then sees its outcome (the version, or no run).
A version whose source is a plain URI inside a run's artifacts locks nothing; it protects the
run once it is committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, or_, select

from trackstone.errors import InvalidState
from trackstone.store.sql import schema
from trackstone.store.sql.registry_tables import model_versions, registered_models

__all__ = ["lock_runs", "refuse_needed_runs"]

R = schema.runs
V = model_versions
M = registered_models


def lock_runs(connection: Connection, runs: ColumnElement[bool]) -> None:
    """Lock the rows of the runs matching ``runs`` against registrations (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(R.c.run_pk).where(runs).with_for_update(key_share=True))


def _needing_version(connection: Connection, runs: ColumnElement[bool]) -> Any:
    """Return (run_id, model name, version) of one version needing a run matching ``runs``."""
    named = (
        select(R.c.run_uuid, M.c.name, V.c.version)
        .select_from(V.join(M, M.c.model_pk == V.c.model_pk).join(R, R.c.run_uuid == V.c.run_id))
        .where(runs)
        .order_by(R.c.run_uuid, M.c.name, V.c.version)
        .limit(1)
    )
    found = connection.execute(named).first()
    if found is not None:
        return found
    prefix = R.c.artifact_uri + literal("/")
    inside = or_(
        V.c.storage_location == R.c.artifact_uri,
        func.substr(V.c.storage_location, 1, func.length(prefix)) == prefix,
    )
    located = (
        select(R.c.run_uuid, M.c.name, V.c.version)
        .select_from(V.join(M, M.c.model_pk == V.c.model_pk).join(R, and_(inside, runs)))
        .order_by(R.c.run_uuid, M.c.name, V.c.version)
        .limit(1)
    )
    return connection.execute(located).first()


def refuse_needed_runs(connection: Connection, runs: ColumnElement[bool], action: str) -> None:
    """Raise InvalidState if a model version needs one of the runs matching ``runs``.

    ``action`` names what is refused (``"purge run 0a1b..."``); the message names the run and
    the version.
    """
    found = _needing_version(connection, runs)
    if found is not None:
        run_id, name, version = found
        raise InvalidState(
            f"cannot {action}: run {run_id} is still needed by version {version} of registered "
            f"model {name!r} (delete that version first)"
        )
