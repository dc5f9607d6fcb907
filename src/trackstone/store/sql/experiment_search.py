"""search_experiments in SQL: filtered, ordered and paged like runs (keyset under a bound)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from trackstone.entities import Experiment, PagedList, ViewType
from trackstone.entities.validation import check_max_results
from trackstone.search.parser import parse_experiment_filter, parse_experiment_order_by
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.experiments import load_experiments
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.search import SqlSearch

__all__ = ["EXPERIMENTS_MAX_RESULTS_LIMIT", "ExperimentSearch"]

E = schema.experiments
EXPERIMENTS_MAX_RESULTS_LIMIT = 50_000


class ExperimentSearch:
    """Experiments filtered, ordered and paged."""

    def __init__(self, db: Database, compiler: SqlSearch) -> None:
        self._db = db
        self._compiler = compiler

    def search(
        self,
        view_type: ViewType,
        max_results: int,
        filter_string: str | None,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList[Experiment]:
        """Return one page of matching experiments (see ``TrackingStore.search_experiments``)."""
        limit = check_max_results(max_results, EXPERIMENTS_MAX_RESULTS_LIMIT)
        view = ViewType.parse(view_type)
        expression = parse_experiment_filter(filter_string)
        keys = parse_experiment_order_by(list(order_by) if order_by else None)
        marker = fingerprint("experiments", filter_string or "", int(view), list(order_by or ()))
        token = decode_token(page_token, marker) if page_token else None
        condition = self._compiler.experiment_condition(expression)
        stages = [stage.value for stage in view.stages()]
        with self._db.read() as connection:
            bound = token.bound if token else None
            if bound is None:
                bound = connection.execute(select(func.max(E.c.experiment_id))).scalar() or 0
            after = token.position if token else None
            query = select(E.c.experiment_id).where(
                E.c.lifecycle_stage.in_(stages), E.c.experiment_id <= bound, condition
            )
            query = self._compiler.apply_experiment_order(query, keys, after)
            rows = list(connection.execute(query.limit(limit + 1)).all())
            more = len(rows) > limit
            rows = rows[:limit]
            ids = [row[0] for row in rows]
            found = load_experiments(connection, ids)
        next_token = None
        if more:
            next_token = encode_token(
                PageToken(fingerprint=marker, bound=bound, position=tuple(rows[-1][1:]))
            )
        return PagedList([found[i] for i in ids if i in found], token=next_token)
