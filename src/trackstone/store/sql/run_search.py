"""search_runs in SQL: one query picks the page's run keys, a few more load those runs.

Pagination is by position (keyset, see ``keyset``) under a snapshot bound: the token holds the
sort values of the last run returned, so deleting runs already seen skips no other run; the
first page records the highest run key in the table, and every later page only considers runs
at or below it, so runs created while a client pages through are not visited.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from trackstone.entities import PagedList, Run, ViewType
from trackstone.entities.validation import check_max_results
from trackstone.search.parser import parse_run_filter, parse_run_order_by
from trackstone.store.base import SEARCH_MAX_RESULTS_LIMIT
from trackstone.store.sql import schema
from trackstone.store.sql.engine import Database
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.runs import load_runs
from trackstone.store.sql.search import SqlSearch

__all__ = ["RunSearch"]

R = schema.runs


def _experiment_keys(experiment_ids: Sequence[str]) -> list[int]:
    keys = []
    for experiment_id in experiment_ids:
        text = str(experiment_id).strip()
        if text.isascii() and text.isdigit():
            keys.append(int(text))
    return sorted(set(keys))


class RunSearch:
    """Runs filtered, ordered and paged."""

    def __init__(self, db: Database, compiler: SqlSearch) -> None:
        self._db = db
        self._compiler = compiler

    def search(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList[Run]:
        """Return one page of matching runs (see ``TrackingStore.search_runs``)."""
        limit = check_max_results(max_results, SEARCH_MAX_RESULTS_LIMIT)
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        view = ViewType.parse(run_view_type)
        expression = parse_run_filter(filter_string)
        keys = parse_run_order_by(list(order_by) if order_by else None)
        ids = _experiment_keys(experiment_ids)
        marker = fingerprint("runs", ids, filter_string or "", int(view), list(order_by or ()))
        token = decode_token(page_token, marker) if page_token else None
        if not ids:
            return PagedList([], token=None)
        condition = self._compiler.run_condition(expression)
        stages = [stage.value for stage in view.stages()]
        with self._db.read() as connection:
            self._compiler.limit_planning(connection)
            bound = token.bound if token else None
            if bound is None:
                bound = connection.execute(select(func.max(R.c.run_pk))).scalar() or 0
            after = token.position if token else None
            query = select(R.c.run_pk).where(
                R.c.experiment_id.in_(ids),
                R.c.lifecycle_stage.in_(stages),
                R.c.run_pk <= bound,
                condition,
            )
            query = self._compiler.apply_run_order(query, keys, after)
            rows = list(connection.execute(query.limit(limit + 1)).all())
            more = len(rows) > limit
            rows = rows[:limit]
            pks = [row[0] for row in rows]
            runs = load_runs(connection, pks)
        next_token = None
        if more:
            next_token = encode_token(
                PageToken(fingerprint=marker, bound=bound, position=tuple(rows[-1][1:]))
            )
        return PagedList([runs[pk] for pk in pks if pk in runs], token=next_token)
