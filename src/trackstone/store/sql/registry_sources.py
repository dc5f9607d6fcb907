"""Resolve a new version's ``source`` once into the artifact URI its files are read from.

``runs:/<run_id>/<path>``       the run's ``artifact_uri`` + ``/<path>`` (the run must exist)
``models:/m-<id>``              the logged model's ``artifact_location``
``models:/<name>/<version>``    that version's storage location (also ``latest`` or a stage)
``models:/<name>@<alias>``      the storage location of the version the alias points at
                                (``@latest``: the highest version)
anything else                   the source itself

The schemes are read in any letter case (``RUNS:/``, ``Models:/``); names and ids are not.

Resolving at registration keeps a version readable after its run is deleted, and is what lets
``run_ids_in_use`` tell gc which runs' artifacts a version still needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from trackstone.entities.logged_model import MODEL_ID_PREFIX
from trackstone.entities.registry import ModelVersionStage
from trackstone.errors import InvalidParameter, NotFound
from trackstone.store.sql import schema
from trackstone.store.sql.logged_model_tables import logged_models
from trackstone.store.sql.registry_checks import parse_version
from trackstone.store.sql.registry_models import alias_target
from trackstone.store.sql.registry_rows import find_model
from trackstone.store.sql.registry_tables import model_versions

__all__ = ["ResolvedSource", "resolve_source", "run_artifact_uri"]

V = model_versions
R = schema.runs
# URI schemes are case-insensitive (RFC 3986): RUNS:/ and Models:/ are these too.
_RUNS_PREFIX = "runs:/"
_MODELS_PREFIX = "models:/"


@dataclass(frozen=True)
class ResolvedSource:
    """Where a version's files live, and the run and logged model the source named."""

    storage_location: str
    run_id: str = ""
    model_id: str = ""


def run_artifact_uri(connection: Connection, run_id: str, field: str) -> str:
    """Return a run's artifact URI; NotFound naming ``field`` if the run does not exist.

    On PostgreSQL the run's row stays share-locked until the transaction ends, so that a
    purge of the run waits for the version naming it (see ``registry_guard``).
    """
    query = select(R.c.artifact_uri).where(R.c.run_uuid == run_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    uri = connection.execute(query).scalar()
    if uri is None:
        raise NotFound(f"{field}: run {run_id!r} does not exist")
    return str(uri)


def logged_model_location(connection: Connection, model_id: str, field: str) -> tuple[str, str]:
    """Return (artifact_location, source_run_id) of a logged model; NotFound naming ``field``."""
    row = connection.execute(
        select(logged_models.c.artifact_location, logged_models.c.source_run_id).where(
            logged_models.c.model_id == model_id
        )
    ).first()
    if row is None:
        raise NotFound(f"{field}: logged model {model_id!r} does not exist")
    return str(row[0]), str(row[1])


def _has_scheme(source: str, prefix: str) -> bool:
    """Say whether ``source`` starts with ``prefix`` (``runs:/``...), the scheme in any case."""
    return source[: len(prefix)].lower() == prefix


def resolve_source(connection: Connection, source: str) -> ResolvedSource:
    """Resolve ``source`` (see the module docstring). NotFound / InvalidParameter name it."""
    if _has_scheme(source, _RUNS_PREFIX):
        run_id, _, path = source[len(_RUNS_PREFIX) :].partition("/")
        if not run_id:
            raise InvalidParameter(f"source: {source!r} names no run (runs:/<run_id>/<path>)")
        base = run_artifact_uri(connection, run_id, "source").rstrip("/")
        path = path.strip("/")
        return ResolvedSource(f"{base}/{path}" if path else base, run_id=run_id)
    if _has_scheme(source, _MODELS_PREFIX):
        return _resolve_model_uri(connection, source, source[len(_MODELS_PREFIX) :].strip("/"))
    return ResolvedSource(source)


def _resolve_model_uri(connection: Connection, source: str, rest: str) -> ResolvedSource:
    if rest.startswith(MODEL_ID_PREFIX) and "/" not in rest and "@" not in rest:
        location, run_id = logged_model_location(connection, rest, "source")
        return ResolvedSource(location, run_id=run_id, model_id=rest)
    if "@" in rest and "/" not in rest:
        name, _, alias = rest.partition("@")
        model = find_model(connection, name)
        try:
            number = alias_target(connection, model, alias)
        except (InvalidParameter, NotFound) as error:
            raise type(error)(f"source: {error}") from None
        return ResolvedSource(_location(connection, model.model_pk, name, number))
    name, _, selector = rest.partition("/")
    if not name or not selector or "/" in selector:
        raise InvalidParameter(
            f"source: {source!r} is not models:/<model_id>, models:/<name>/<version> "
            "or models:/<name>@<alias>"
        )
    model = find_model(connection, name)
    if selector.isdigit():
        number = parse_version(selector)
    else:
        query = select(func.max(V.c.version)).where(V.c.model_pk == model.model_pk)
        if selector.lower() != "latest":
            stage = ModelVersionStage.parse(selector)
            query = query.where(V.c.current_stage == stage.value)
        found = connection.execute(query).scalar()
        if found is None:
            raise NotFound(f"source: registered model {name!r} has no version for {selector!r}")
        number = int(found)
    return ResolvedSource(_location(connection, model.model_pk, name, number))


def _location(connection: Connection, model_pk: int, name: str, number: int) -> str:
    row = connection.execute(
        select(V.c.storage_location, V.c.source).where(
            V.c.model_pk == model_pk, V.c.version == number
        )
    ).first()
    if row is None:
        raise NotFound(f"source: model version {number} of {name!r} does not exist")
    return str(row[0] or row[1])
