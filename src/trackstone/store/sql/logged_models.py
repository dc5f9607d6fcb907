"""Logged models in SQL: create, read, finalize, tag, params, metrics, soft-delete and search.

Search loads the active models of the named experiments with their tags, params and metrics
and filters and orders them with ``trackstone.search.logged_models`` (models per experiment
are few); pages are offsets in opaque tokens bound to the query. With ``datasets``, metric
comparisons see only the points logged on those datasets, and without any metric comparison
a model must have such a point (as MLflow does). Runs' links to models live in
``logged_model_links``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, insert, select, update

from trackstone.clock import Clock
from trackstone.entities import LifecycleStage, Metric, PagedList, Param, RunTag
from trackstone.entities.logged_model import (
    MODEL_ID_PREFIX,
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.entities.validation import check_item_types, check_max_results, check_no_nul
from trackstone.errors import InvalidParameter, InvalidState, NotFound
from trackstone.search.ast import Comparison, Expression, IdentifierKind
from trackstone.search.logged_models import (
    logged_model_matches,
    parse_logged_model_filter,
    parse_logged_model_order_by,
    sort_logged_models,
)
from trackstone.store.logged_models import (
    LOGGED_MODELS_MAX_RESULTS_DEFAULT,
    LOGGED_MODELS_MAX_RESULTS_LIMIT,
)
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.experiments import lock_experiment, parse_experiment_id
from trackstone.store.sql.logged_model_links import ModelLinks, read_model_metrics
from trackstone.store.sql.logged_model_tables import (
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.run_names import generate_run_name
from trackstone.store.sql.upserts import dialect_insert

__all__ = ["SqlLoggedModels"]

M = logged_models
MT = logged_model_tags
MP = logged_model_params
ACTIVE = LifecycleStage.ACTIVE.value
DELETED = LifecycleStage.DELETED.value
_MAX_NAME_CHARS = 500
_MAX_MODEL_TYPE_CHARS = 500
_COLUMNS = (
    M.c.model_id,
    M.c.experiment_id,
    M.c.name,
    M.c.artifact_location,
    M.c.creation_timestamp_ms,
    M.c.last_updated_timestamp_ms,
    M.c.status,
    M.c.status_message,
    M.c.model_type,
    M.c.source_run_id,
    M.c.lifecycle_stage,
)


def _check_text(field: str, value: str | None, limit: int) -> str:
    if value is None:
        return ""
    if len(value) > limit:
        raise InvalidParameter(f"{field}: at most {limit} characters, got {len(value)}")
    return check_no_nul(field, value)


class SqlLoggedModels:
    """A ``LoggedModelStore`` on the tracking database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        insert_for = dialect_insert(db.dialect)
        tags = insert_for(MT)
        self._upsert_tags = tags.on_conflict_do_update(
            index_elements=[MT.c.model_id, MT.c.key], set_={"value": tags.excluded.value}
        )
        self._insert_params = insert_for(MP).on_conflict_do_nothing()
        self._links = ModelLinks(db)

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        model_type: str | None = None,
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> LoggedModel:
        stored_id = parse_experiment_id(experiment_id)
        model_name = _check_text("name", name, _MAX_NAME_CHARS) or generate_run_name()
        kind = _check_text("model_type", model_type, _MAX_MODEL_TYPE_CHARS)
        model_id = MODEL_ID_PREFIX + uuid.uuid4().hex
        now = self._clock.now_ms()
        with self._db.write() as connection:
            stage, _ = lock_experiment(connection, stored_id)
            if stage != ACTIVE:
                raise InvalidState(
                    f"cannot create a model in experiment {stored_id}: it is deleted"
                )
            if source_run_id:
                _require_run(connection, source_run_id)
            location = connection.execute(
                select(schema.experiments.c.artifact_location).where(
                    schema.experiments.c.experiment_id == stored_id
                )
            ).scalar_one()
            connection.execute(
                insert(M).values(
                    model_id=model_id,
                    experiment_id=stored_id,
                    name=model_name,
                    artifact_location=f"{location.rstrip('/')}/models/{model_id}/artifacts",
                    creation_timestamp_ms=now,
                    last_updated_timestamp_ms=now,
                    status=LoggedModelStatus.PENDING.value,
                    status_message="",
                    model_type=kind,
                    source_run_id=source_run_id or "",
                    lifecycle_stage=ACTIVE,
                )
            )
            self._write_params(connection, model_id, params)
            self._write_tags(connection, model_id, tags)
            return _load(connection, [model_id])[0]

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with self._db.read() as connection:
            found = _load(connection, [model_id])
        if not found or (found[0].lifecycle_stage is LifecycleStage.DELETED and not allow_deleted):
            raise NotFound(f"logged model {model_id!r} does not exist")
        return found[0]

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        if status not in (LoggedModelStatus.READY, LoggedModelStatus.FAILED):
            raise InvalidParameter(f"status: must be READY or FAILED, got {status.value}")
        with self._db.write() as connection:
            self._touch(connection, model_id, status=status.value)
            return _load(connection, [model_id])[0]

    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        with self._db.write() as connection:
            self._touch(connection, model_id)
            self._write_tags(connection, model_id, tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self._db.write() as connection:
            self._touch(connection, model_id)
            result = connection.execute(
                delete(MT).where(MT.c.model_id == model_id, MT.c.key == key)
            )
            if result.rowcount == 0:
                raise NotFound(f"logged model {model_id!r} has no tag {key!r}")

    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        with self._db.write() as connection:
            self._touch(connection, model_id)
            self._write_params(connection, model_id, params)

    def delete_logged_model(self, model_id: str) -> None:
        with self._db.write() as connection:
            self._touch(connection, model_id, lifecycle_stage=DELETED)

    def log_model_inputs(self, run_id: str, models: Sequence[LoggedModelInput]) -> None:
        self._links.log_model_inputs(run_id, models)

    def log_model_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self._links.log_model_outputs(run_id, models)

    def log_model_metrics(
        self,
        run_id: str,
        metrics: Sequence[LoggedModelMetric],
        run_metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        self._links.log_model_metrics(run_id, metrics, run_metrics, params, tags)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = LOGGED_MODELS_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        datasets: Sequence[DatasetFilter] = (),
    ) -> PagedList[LoggedModel]:
        check_max_results(max_results, LOGGED_MODELS_MAX_RESULTS_LIMIT)
        check_item_types("datasets", datasets, DatasetFilter)
        expression = parse_logged_model_filter(filter_string)
        order_keys = parse_logged_model_order_by(order_by)
        query_print = fingerprint(
            sorted(experiment_ids),
            filter_string,
            list(order_by or ()),
            [[item.dataset_name, item.dataset_digest] for item in datasets],
        )
        offset = decode_token(page_token, query_print).offset if page_token else 0
        ids = _known_experiment_ids(experiment_ids)
        with self._db.read() as connection:
            model_ids = connection.execute(
                select(M.c.model_id).where(
                    M.c.experiment_id.in_(ids), M.c.lifecycle_stage == ACTIVE
                )
            ).scalars()
            models = _load(connection, list(model_ids))
        matching = sort_logged_models(
            (model for model in models if _matches(expression, datasets, model)), order_keys
        )
        page = matching[offset : offset + max_results]
        end = offset + len(page)
        token = encode_token(PageToken(query_print, end)) if end < len(matching) else None
        return PagedList(page, token)

    def _touch(self, connection: Connection, model_id: str, **values: str) -> None:
        """Update a model's row (and its last update time); NotFound if it does not exist."""
        result = connection.execute(
            update(M)
            .where(M.c.model_id == model_id, M.c.lifecycle_stage == ACTIVE)
            .values(last_updated_timestamp_ms=self._clock.now_ms(), **values)
        )
        if result.rowcount == 0:
            raise NotFound(f"logged model {model_id!r} does not exist")

    def _write_tags(self, connection: Connection, model_id: str, tags: Sequence[RunTag]) -> None:
        unique = {tag.key: tag.value for tag in tags}
        if unique:
            rows = [{"model_id": model_id, "key": k, "value": v} for k, v in unique.items()]
            connection.execute(self._upsert_tags, rows)

    def _write_params(self, connection: Connection, model_id: str, params: Sequence[Param]) -> None:
        unique: dict[str, str] = {}
        for param in params:
            if unique.setdefault(param.key, param.value) != param.value:
                raise InvalidParameter(
                    f"params: {param.key!r} is given twice with different values"
                )
        if not unique:
            return
        query = select(MP.c.key, MP.c.value).where(
            MP.c.model_id == model_id, MP.c.key.in_(list(unique))
        )
        stored = {key: value for key, value in connection.execute(query)}
        for key, value in unique.items():
            if key in stored and stored[key] != value:
                raise InvalidParameter(
                    f"params: {key!r} of logged model {model_id} is already {stored[key]!r}; "
                    f"params are write-once, got {value!r}"
                )
        rows = [{"model_id": model_id, "key": k, "value": v} for k, v in unique.items()]
        connection.execute(self._insert_params, rows)


def _matches(
    expression: Expression | None, datasets: Sequence[DatasetFilter], model: LoggedModel
) -> bool:
    """Whether ``model`` matches, its metrics narrowed to ``datasets`` when some are given."""
    if not datasets:
        return logged_model_matches(expression, model)
    points = tuple(item for item in model.metrics if any(d.covers(item) for d in datasets))
    if not points and not _compares_metrics(expression):
        return False
    return logged_model_matches(expression, dataclasses.replace(model, metrics=points))


def _compares_metrics(expression: Expression | None) -> bool:
    if expression is None:
        return False
    if isinstance(expression, Comparison):
        return expression.identifier.kind is IdentifierKind.METRIC
    return any(_compares_metrics(operand) for operand in expression.operands)


def _known_experiment_ids(experiment_ids: Iterable[str]) -> list[int]:
    ids = []
    for experiment_id in experiment_ids:
        try:
            ids.append(parse_experiment_id(experiment_id))
        except NotFound:
            continue  # an id that cannot exist matches nothing, as in a run search
    return ids


def _require_run(connection: Connection, run_id: str) -> None:
    runs = schema.runs
    found = connection.execute(select(runs.c.run_pk).where(runs.c.run_uuid == run_id)).first()
    if found is None:
        raise NotFound(f"source_run_id: run {run_id!r} does not exist")


def _load(connection: Connection, model_ids: Sequence[str]) -> list[LoggedModel]:
    """Return the models with these ids (with tags and params), in the order given."""
    if not model_ids:
        return []
    tags: dict[str, dict[str, str]] = {model_id: {} for model_id in model_ids}
    params: dict[str, dict[str, str]] = {model_id: {} for model_id in model_ids}
    for table, target in ((MT, tags), (MP, params)):
        rows = connection.execute(
            select(table.c.model_id, table.c.key, table.c.value).where(
                table.c.model_id.in_(model_ids)
            )
        )
        for model_id, key, value in rows:
            target[model_id][key] = value
    metrics = read_model_metrics(connection, model_ids)
    model_rows = connection.execute(select(*_COLUMNS).where(M.c.model_id.in_(model_ids))).all()
    by_id = {
        row[0]: LoggedModel(
            model_id=row[0],
            experiment_id=str(row[1]),
            name=row[2],
            artifact_location=row[3],
            creation_timestamp_ms=row[4],
            last_updated_timestamp_ms=row[5],
            status=LoggedModelStatus(row[6]),
            status_message=row[7],
            model_type=row[8],
            source_run_id=row[9],
            lifecycle_stage=LifecycleStage(row[10]),
            tags=tags[row[0]],
            params=params[row[0]],
            metrics=tuple(metrics.get(row[0], ())),
        )
        for row in model_rows
    }
    return [by_id[model_id] for model_id in model_ids if model_id in by_id]
