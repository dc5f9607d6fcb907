"""search_registered_models and search_model_versions in SQL: filters compiled, keyset pages.

Filters compile to one WHERE clause (tags and aliases become ``EXISTS`` sub-queries) so the
database does the matching; ``trackstone.search.registry`` holds the reference semantics the
SQL must agree with. Every sortable field is never NULL and the completed order is total
(names are unique, version numbers unique per name), so a page token holds the sort values
of the last row returned and the next page starts strictly after them: deleting rows already
seen skips no other row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from trackstone.entities import PagedList
from trackstone.entities.registry import ModelVersion, RegisteredModel
from trackstone.entities.validation import check_max_results, is_int64
from trackstone.errors import InvalidParameter
from trackstone.search.ast import Comparison, Expression, IdentifierKind, Operator, OrderKey
from trackstone.search.registry import (
    PROMPT_TAG,
    parse_model_filter,
    parse_model_order_by,
    parse_version_filter,
    parse_version_order_by,
    prompt_default_holds,
)
from trackstone.store.registry import (
    MODEL_VERSIONS_MAX_RESULTS_LIMIT,
    check_registered_models_max_results,
)
from trackstone.store.sql.engine import Database
from trackstone.store.sql.page_token import PageToken, decode_token, encode_token, fingerprint
from trackstone.store.sql.registry_rows import (
    MODEL_COLUMNS,
    VERSION_COLUMNS,
    models_from_rows,
    versions_from_rows,
)
from trackstone.store.sql.registry_tables import (
    model_aliases,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from trackstone.store.sql.search import SqlSearch

__all__ = ["RegistrySearch"]

M = registered_models
MT = registered_model_tags
V = model_versions
VT = model_version_tags
A = model_aliases
_STRING_COLUMNS: dict[str, Any] = {
    "name": M.c.name,
    "run_id": V.c.run_id,
    "source_path": V.c.source,
    "current_stage": V.c.current_stage,
}
_NUMBER_COLUMNS: dict[str, Any] = {
    "version_number": V.c.version,
    "creation_timestamp": V.c.creation_timestamp,
    "last_updated_timestamp": V.c.last_updated_timestamp,
}
_MODEL_NUMBER_COLUMNS: dict[str, Any] = {
    "creation_timestamp": M.c.creation_timestamp,
    "last_updated_timestamp": M.c.last_updated_timestamp,
}


class RegistrySearch(SqlSearch):
    """Compiles registry filters and orders for one SQL dialect and runs the searches."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.dialect)
        self._db = db

    def models(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList[RegisteredModel]:
        """Return one page of registered models (see ``RegistryStore``)."""
        limit = check_registered_models_max_results(max_results)
        expression = parse_model_filter(filter_string)
        keys = parse_model_order_by(list(order_by) if order_by else None)
        marker = fingerprint("registered-models", filter_string or "", list(order_by or ()))
        after = decode_token(page_token, marker).position if page_token else None
        condition = self._condition(expression, self._model_comparison)
        terms = [self._model_sort_term(key) for key in keys]
        query = select(*MODEL_COLUMNS).where(condition)
        if limit <= 0:
            return self._empty_page(query, terms, after, limit, page_token, marker)
        with self._db.read() as connection:
            rows = connection.execute(_paged(query, terms, after, limit)).all()
            page = rows[:limit]
            models = models_from_rows(connection, page)
        token = _next_token(marker, rows, limit, len(MODEL_COLUMNS))
        return PagedList(models, token=token)

    def versions(
        self,
        filter_string: str | None,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> PagedList[ModelVersion]:
        """Return one page of model versions (see ``RegistryStore``)."""
        limit = check_max_results(max_results, MODEL_VERSIONS_MAX_RESULTS_LIMIT)
        expression = parse_version_filter(filter_string)
        keys = parse_version_order_by(list(order_by) if order_by else None)
        marker = fingerprint("model-versions", filter_string or "", list(order_by or ()))
        after = decode_token(page_token, marker).position if page_token else None
        condition = self._condition(expression, self._version_comparison)
        terms = [self._version_sort_term(key) for key in keys]
        query = (
            select(*VERSION_COLUMNS)
            .select_from(V.join(M, M.c.model_pk == V.c.model_pk))
            .where(condition)
        )
        with self._db.read() as connection:
            rows = connection.execute(_paged(query, terms, after, limit)).all()
            page = rows[:limit]
            versions = versions_from_rows(connection, page)
        token = _next_token(marker, rows, limit, len(VERSION_COLUMNS))
        return PagedList(versions, token=token)

    def _empty_page(
        self,
        query: Any,
        terms: Sequence[tuple[Any, bool]],
        after: Sequence[Any] | None,
        limit: int,
        page_token: str | None,
        marker: str,
    ) -> PagedList[RegisteredModel]:
        """Answer ``max_results`` <= 0 as MLflow does: no rows; for 0, a token if any remain.

        The token starts where this page did (the same position), so following it loses
        nothing.
        """
        if limit < 0:
            return PagedList([], token=None)
        with self._db.read() as connection:
            more = connection.execute(_paged(query, terms, after, 0)).first() is not None
        if not more:
            return PagedList([], token=None)
        token = page_token or encode_token(PageToken(fingerprint=marker))
        return PagedList([], token=token)

    # -- filters -------------------------------------------------------------------------

    def _condition(self, expression: Expression | None, leaf: Any) -> ColumnElement[bool]:
        return true() if expression is None else self._compile(expression, leaf)

    def _model_comparison(self, comparison: Comparison) -> ColumnElement[bool]:
        identifier = comparison.identifier
        if identifier.kind is IdentifierKind.TAG:
            return self._tag_condition(MT, [MT.c.model_pk == M.c.model_pk], comparison)
        if identifier.key == "name":
            return self._string_condition(M.c.name, comparison.operator, comparison.value)  # type: ignore[no-any-return]
        column = _MODEL_NUMBER_COLUMNS.get(identifier.key)
        if column is None:
            raise InvalidParameter(f"filter: unknown registered model field {identifier.key!r}")
        return _number_condition(column, identifier.key, comparison.operator, comparison.value)

    def _version_comparison(self, comparison: Comparison) -> ColumnElement[bool]:
        identifier, operator, value = comparison.identifier, comparison.operator, comparison.value
        if identifier.kind is IdentifierKind.TAG:
            owner = [VT.c.model_pk == V.c.model_pk, VT.c.version == V.c.version]
            return self._tag_condition(VT, owner, comparison)
        key = identifier.key
        if key == "alias":
            of_version = and_(A.c.model_pk == V.c.model_pk, A.c.version == V.c.version)
            return exists().where(of_version, self._string_condition(A.c.alias, operator, value))
        if key in _STRING_COLUMNS:
            return self._string_condition(_STRING_COLUMNS[key], operator, value)  # type: ignore[no-any-return]
        column = _NUMBER_COLUMNS.get(key)
        if column is None:
            raise InvalidParameter(f"filter: unknown model version field {key!r}")
        return _number_condition(column, key, operator, value)

    def _tag_condition(
        self, table: Any, owner: list[Any], comparison: Comparison
    ) -> ColumnElement[bool]:
        base = and_(*owner, table.c.key == comparison.identifier.key)
        operator = comparison.operator
        prompt = comparison.identifier.key == PROMPT_TAG
        if operator is Operator.IS_NULL:
            return false() if prompt else not_(exists().where(base))
        if operator is Operator.IS_NOT_NULL:
            return true() if prompt else exists().where(base)
        condition: ColumnElement[bool] = exists().where(
            base, self._string_condition(table.c.value, operator, comparison.value)
        )
        if prompt and prompt_default_holds(comparison):
            # MLflow reads an absent prompt tag as 'false' (see search.registry).
            condition = or_(condition, not_(exists().where(base)))
        return condition

    # -- ordering ------------------------------------------------------------------------

    def _model_sort_term(self, key: OrderKey) -> tuple[Any, bool]:
        name = key.identifier.key
        if name == "name":
            return self._bytewise(M.c.name), key.ascending
        column = _MODEL_NUMBER_COLUMNS.get(name)
        if column is None:
            raise InvalidParameter(f"order_by: cannot sort registered models on {name!r}")
        return column, key.ascending

    def _version_sort_term(self, key: OrderKey) -> tuple[Any, bool]:
        name = key.identifier.key
        if name == "name":
            return self._bytewise(M.c.name), key.ascending
        column = _NUMBER_COLUMNS.get(name)
        if column is None:
            raise InvalidParameter(f"order_by: cannot sort model versions on {name!r}")
        return column, key.ascending


def _number_condition(column: Any, key: str, operator: Operator, value: Any) -> ColumnElement[bool]:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameter(f"filter: {key} compares to integers, got {value!r}")
    comparisons = {
        Operator.EQ: column == value,
        Operator.NE: column != value,
        Operator.LT: column < value,
        Operator.LE: column <= value,
        Operator.GT: column > value,
        Operator.GE: column >= value,
    }
    if operator not in comparisons:
        raise InvalidParameter(f"filter: operator {operator.value} does not apply to {key}")
    result: ColumnElement[bool] = comparisons[operator]
    return result


def _paged(
    query: Any, terms: Sequence[tuple[Any, bool]], after: Sequence[Any] | None, limit: int
) -> Any:
    """Add the sort values as trailing columns, the ORDER BY, the keyset bound and the limit."""
    query = query.add_columns(*(column for column, _ in terms))
    query = query.order_by(*(column.asc() if up else column.desc() for column, up in terms))
    if after is not None:
        if len(after) != len(terms) or not all(
            _fits(column, value) for (column, _), value in zip(terms, after, strict=False)
        ):
            raise InvalidParameter("page_token: not a valid page token for this query")
        alternatives = []
        for index, ((column, up), value) in enumerate(zip(terms, after, strict=True)):
            equal = [terms[i][0] == after[i] for i in range(index)]
            alternatives.append(and_(*equal, column > value if up else column < value))
        # The bound on the first term is implied by the alternatives; stated on its own, it
        # lets the database range-scan that term's index in order and stop at the limit
        # rather than gather every row of the OR and sort them (SQLite's MULTI-INDEX OR).
        first, up = terms[0]
        query = query.where(first >= after[0] if up else first <= after[0], or_(*alternatives))
    return query.limit(limit + 1)


def _fits(column: Any, value: Any) -> bool:
    """Tell whether a page token's ``value`` can be compared with ``column``: tokens are not
    signed, so a forged one must get a 400, not a database type error or an overflow."""
    if column.type.python_type is int:
        return is_int64(value)
    return isinstance(value, str)


def _next_token(marker: str, rows: Sequence[Any], limit: int, width: int) -> str | None:
    if len(rows) <= limit:
        return None
    position = tuple(rows[limit - 1][width:])
    return encode_token(PageToken(fingerprint=marker, position=position))
