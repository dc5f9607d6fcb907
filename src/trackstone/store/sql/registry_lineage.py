"""Where versions come from: a version's run and experiment, and which runs versions still need."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, literal, or_, select

from trackstone.entities.registry import ModelVersionLineage
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.experiments import load_experiments
from trackstone.store.sql.registry_checks import parse_version
from trackstone.store.sql.registry_rows import find_version, versions_from_rows
from trackstone.store.sql.registry_tables import model_versions
from trackstone.store.sql.runs import load_runs

__all__ = ["RegistryLineage"]

R = schema.runs
V = model_versions
# Run ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 1000


class RegistryLineage:
    """Reads that join the registry with the tracking tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def lineage(self, name: str, version: str | int) -> ModelVersionLineage:
        """Return a version with its run (params, metrics, tags, datasets) and experiment."""
        number = parse_version(version)
        with self._db.read() as connection:
            found = versions_from_rows(connection, [find_version(connection, name, number)])[0]
            if not found.run_id:
                return ModelVersionLineage(found, None, None)
            run_pk = connection.execute(
                select(R.c.run_pk).where(R.c.run_uuid == found.run_id)
            ).scalar()
            if run_pk is None:  # purged since registration
                return ModelVersionLineage(found, None, None)
            run = load_runs(connection, [int(run_pk)])[int(run_pk)]
            experiment_id = int(run.info.experiment_id)
            experiment = load_experiments(connection, [experiment_id]).get(experiment_id)
        return ModelVersionLineage(found, run, experiment)

    def run_ids_in_use(self, run_ids: Sequence[str]) -> set[str]:
        """Return those of ``run_ids`` that a version names or whose artifacts it lives in."""
        wanted = sorted({run_id for run_id in run_ids if isinstance(run_id, str) and run_id})
        used: set[str] = set()
        with self._db.read() as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                named = select(V.c.run_id).where(V.c.run_id.in_(chunk)).distinct()
                used.update(connection.execute(named).scalars())
                prefix = R.c.artifact_uri + literal("/")
                inside = or_(
                    V.c.storage_location == R.c.artifact_uri,
                    func.substr(V.c.storage_location, 1, func.length(prefix)) == prefix,
                )
                located = select(R.c.run_uuid).where(
                    R.c.run_uuid.in_(chunk), exists().where(and_(inside))
                )
                used.update(connection.execute(located).scalars())
        return used
