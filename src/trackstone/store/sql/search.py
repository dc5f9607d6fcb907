"""Compile the search syntax tree (``trackstone.search.ast``) into SQLAlchemy conditions and sorts.

The SQL must return exactly what ``trackstone.search.evaluate`` returns:

* metrics, params, tags and datasets become ``EXISTS`` sub-queries (params and tags on SQLite
  ``run_pk IN (SELECT ...)``, the same set), so an absent key makes every comparison false
  (``!=`` and ``NOT IN`` too) and ``IS NULL`` is ``NOT EXISTS``;
* a NaN latest metric (stored as ``is_nan``) satisfies only ``!=``;
* ``LIKE`` is case-sensitive: SQLite gets ``GLOB`` with a translated pattern, PostgreSQL
  ``LIKE`` with backslashes doubled (its default escape character); ``ILIKE`` folds ASCII only,
  as ``lower()`` does in SQLite and in PostgreSQL's "C" collation;
* sorting puts absent and NaN values in one group after the others in both directions, then
  the next key decides; strings sort by code points (``COLLATE "C"`` on PostgreSQL).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles

from trackstone.entities.dataset import DATASET_CONTEXT_TAG
from trackstone.errors import InvalidParameter
from trackstone.search.ast import (
    And,
    Comparison,
    Expression,
    IdentifierKind,
    Operator,
    Or,
    OrderKey,
)
from trackstone.search.schema import (
    EXPERIMENT_DEFAULT_ORDER,
    EXPERIMENT_TIE_BREAKER,
    RUN_TIE_BREAKERS,
)
from trackstone.store.sql import schema
from trackstone.store.sql.keyset import SortTerm, after_position, check_position

__all__ = ["SqlSearch", "glob_pattern"]

R = schema.runs
E = schema.experiments
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_GROUP_SIZE = 32
_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}

_RUN_ATTRIBUTES: dict[str, Any] = {
    "run_id": R.c.run_uuid,
    "run_name": R.c.name,
    "status": R.c.status,
    "user_id": R.c.user_id,
    "artifact_uri": R.c.artifact_uri,
    "start_time": R.c.start_time,
    "end_time": R.c.end_time,
}
_STRING_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri", "name"})
_EXPERIMENT_ATTRIBUTES: dict[str, Any] = {
    "name": E.c.name,
    "creation_time": E.c.creation_time,
    "last_update_time": E.c.last_update_time,
    "experiment_id": E.c.experiment_id,
}


def glob_pattern(like_pattern: str) -> str:
    """Translate a LIKE pattern (``%``, ``_``, no escape) into an equivalent SQLite GLOB."""
    out = []
    for char in like_pattern:
        if char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_GLOB_SPECIAL.get(char, char))
    return "".join(out)


@dataclass
class _Sort:
    """ORDER BY terms plus the outer joins they need, and the same terms as keyset pairs."""

    joins: list[tuple[FromClause, ColumnElement[bool]]] = field(default_factory=list)
    terms: list[ColumnElement[Any]] = field(default_factory=list)
    pairs: list[SortTerm] = field(default_factory=list)


class SqlSearch:
    """Builds conditions and orderings for one SQL dialect."""

    def __init__(self, dialect: str) -> None:
        self._postgres = dialect == "postgresql"

    def limit_planning(self, connection: Connection) -> None:
        """Stop PostgreSQL from reordering the joins of the search in this transaction.

        Every comparison is an ``EXISTS`` that the planner turns into a semi-join; searching
        all orders of a few dozen of them took seconds (100 comparisons on one run: 4.8 s,
        0.5 s with these limits), while the written order (runs, then each test) plans well.
        """
        if self._postgres:
            connection.exec_driver_sql("SET LOCAL join_collapse_limit = 1")
            connection.exec_driver_sql("SET LOCAL from_collapse_limit = 1")

    # -- strings ---------------------------------------------------------------------------

    def _bytewise(self, column: Any) -> Any:
        """Return ``column`` compared by code points (UTF-8 bytes) on every engine."""
        return column.collate("C") if self._postgres else column

    def _string_condition(self, column: Any, operator: Operator, value: Any) -> Any:
        if operator is Operator.EQ:
            return column == value
        if operator is Operator.NE:
            return column != value
        if operator in (Operator.IN, Operator.NOT_IN):
            values = list(value) if isinstance(value, (tuple, list)) else [value]
            if not values:
                return false() if operator is Operator.IN else column.is_not(None)
            return column.in_(values) if operator is Operator.IN else column.not_in(values)
        if operator is Operator.LIKE:
            return self._like(column, str(value))
        if operator is Operator.ILIKE:
            lowered = func.lower(self._bytewise(column))
            return self._like(lowered, str(value).translate(_ASCII_LOWER))
        if operator in (Operator.LT, Operator.LE, Operator.GT, Operator.GE):
            return _ordering(self._bytewise(column), operator, value)
        raise InvalidParameter(f"filter: operator {operator.value} does not apply to strings")

    def _like(self, column: Any, pattern: str) -> Any:
        if self._postgres:
            return column.like(pattern.replace("\\", "\\\\"))
        return column.op("GLOB")(glob_pattern(pattern))

    # -- numbers ---------------------------------------------------------------------------

    @staticmethod
    def _metric_condition(value_col: Any, nan_col: Any, operator: Operator, value: Any) -> Any:
        if operator in (Operator.IN, Operator.NOT_IN):
            # A number is never one of the quoted strings of an IN list.
            return false() if operator is Operator.IN else true()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InvalidParameter(f"filter: metrics compare to numbers, got {value!r}")
        if math.isnan(value):
            return true() if operator is Operator.NE else false()
        if operator is Operator.NE:
            return or_(nan_col.is_(True), value_col != value)
        return and_(nan_col.is_(False), _ordering(value_col, operator, value))

    # -- filters -------------------------------------------------------------------------

    def run_condition(self, expression: Expression | None) -> ColumnElement[bool]:
        """Return the WHERE condition (over ``runs``) equivalent to ``expression``."""
        if expression is None:
            return true()
        return self._compile(expression, self._run_comparison)

    def experiment_condition(self, expression: Expression | None) -> ColumnElement[bool]:
        """Return the WHERE condition (over ``experiments``) equivalent to ``expression``."""
        if expression is None:
            return true()
        return self._compile(expression, self._experiment_comparison)

    def _compile(self, expression: Expression, leaf: Any) -> ColumnElement[bool]:
        if isinstance(expression, And):
            return _balanced(and_, [self._compile(e, leaf) for e in expression.operands])
        if isinstance(expression, Or):
            return _balanced(or_, [self._compile(e, leaf) for e in expression.operands])
        if isinstance(expression, Comparison):
            result: ColumnElement[bool] = leaf(expression)
            return result
        raise InvalidParameter(f"filter: cannot compile {expression!r}")

    def _keyed_exists(
        self, table: Any, owner: Any, comparison: Comparison, numeric: bool = False
    ) -> ColumnElement[bool]:
        """EXISTS over a key/value child table; NOT EXISTS for IS NULL."""
        owner_col = table.c.run_pk if "run_pk" in table.c else table.c.experiment_id
        base = and_(owner_col == owner, table.c.key == comparison.identifier.key)
        operator = comparison.operator
        if operator is Operator.IS_NULL:
            return not_(exists().where(base))
        if operator is Operator.IS_NOT_NULL:
            return exists().where(base)
        if numeric:
            condition = self._metric_condition(
                table.c.value, table.c.is_nan, operator, comparison.value
            )
        else:
            condition = self._string_condition(table.c.value, operator, comparison.value)
        return exists().where(base, condition)

    def _keyed_run_test(self, table: Any, comparison: Comparison) -> ColumnElement[bool]:
        """A param or tag comparison: ``run_pk IN (...)`` on SQLite, ``EXISTS`` elsewhere.

        SQLite runs an ``EXISTS`` once per candidate run (an index seek each), but an
        ``IN (SELECT run_pk ...)`` once per query, as a range of the (key, value, run_pk)
        index of migration 0004: a third of the time for an equality filter on 5,000 runs.
        PostgreSQL plans both as the same semi-join and has no such index (its index rows
        cannot hold the longest values). ``IS NULL`` stays ``NOT EXISTS``.
        """
        operator = comparison.operator
        if self._postgres or operator is Operator.IS_NULL:
            return self._keyed_exists(table, R.c.run_pk, comparison)
        matching = select(table.c.run_pk).where(table.c.key == comparison.identifier.key)
        if operator is not Operator.IS_NOT_NULL:
            matching = matching.where(
                self._string_condition(table.c.value, operator, comparison.value)
            )
        result: ColumnElement[bool] = R.c.run_pk.in_(matching)
        return result

    def _run_comparison(self, comparison: Comparison) -> ColumnElement[bool]:
        identifier, operator = comparison.identifier, comparison.operator
        kind = identifier.kind
        if kind is IdentifierKind.METRIC:
            return self._keyed_exists(schema.latest_metrics, R.c.run_pk, comparison, True)
        if kind is IdentifierKind.PARAM:
            return self._keyed_run_test(schema.params, comparison)
        if kind is IdentifierKind.TAG:
            return self._keyed_run_test(schema.tags, comparison)
        if kind is IdentifierKind.DATASET:
            return self._dataset_comparison(comparison)
        column = _RUN_ATTRIBUTES.get(identifier.key)
        if column is None:
            raise InvalidParameter(f"filter: unknown run attribute {identifier.key!r}")
        return self._attribute_condition(column, identifier.key, operator, comparison.value)

    def _attribute_condition(
        self, column: Any, key: str, operator: Operator, value: Any
    ) -> ColumnElement[bool]:
        if operator is Operator.IS_NULL:
            result: ColumnElement[bool] = column.is_(None)
            return result
        if operator is Operator.IS_NOT_NULL:
            result = column.is_not(None)
            return result
        if key in _STRING_ATTRIBUTES:
            result = self._string_condition(column, operator, value)
            return result
        if operator in (Operator.IN, Operator.NOT_IN, Operator.LIKE, Operator.ILIKE):
            raise InvalidParameter(f"filter: operator {operator.value} does not apply to {key}")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InvalidParameter(f"filter: {key} compares to numbers, got {value!r}")
        if isinstance(value, float) and math.isnan(value):
            result = column.is_not(None) if operator is Operator.NE else false()
            return result
        result = column != value if operator is Operator.NE else _ordering(column, operator, value)
        return result

    def _dataset_comparison(self, comparison: Comparison) -> ColumnElement[bool]:
        inputs, datasets, input_tags = schema.inputs, schema.datasets, schema.input_tags
        key, operator = comparison.identifier.key, comparison.operator
        base: list[Any] = [inputs.c.run_pk == R.c.run_pk]
        if key == "context":
            column: Any = input_tags.c.value
            base.append(input_tags.c.key == DATASET_CONTEXT_TAG)
            source: Any = inputs.join(input_tags, input_tags.c.input_pk == inputs.c.input_pk)
        elif key in ("name", "digest"):
            column = datasets.c[key]
            source = inputs.join(datasets, datasets.c.dataset_pk == inputs.c.dataset_pk)
        else:
            raise InvalidParameter(f"filter: unknown dataset key {key!r}")
        present = select(literal(1)).select_from(source).where(*base)
        if operator is Operator.IS_NULL:
            return not_(present.exists())
        if operator is Operator.IS_NOT_NULL:
            return present.exists()
        condition = self._string_condition(column, operator, comparison.value)
        return present.where(condition).exists()

    def _experiment_comparison(self, comparison: Comparison) -> ColumnElement[bool]:
        identifier = comparison.identifier
        if identifier.kind is IdentifierKind.TAG:
            return self._keyed_exists(schema.experiment_tags, E.c.experiment_id, comparison)
        if identifier.kind is not IdentifierKind.ATTRIBUTE:
            raise InvalidParameter(f"filter: experiments have no {identifier.kind.value} values")
        column = _EXPERIMENT_ATTRIBUTES.get(identifier.key)
        if column is None or identifier.key == "experiment_id":
            raise InvalidParameter(f"filter: unknown experiment attribute {identifier.key!r}")
        return self._attribute_condition(
            column, identifier.key, comparison.operator, comparison.value
        )

    # -- ordering ------------------------------------------------------------------------

    def apply_run_order(
        self, query: Select[Any], keys: Sequence[OrderKey], after: Sequence[Any] | None = None
    ) -> Select[Any]:
        """Add the joins and ORDER BY terms of ``keys`` and the run tie-breakers.

        The query also selects each row's position (see ``keyset``) after its own columns,
        and with ``after`` keeps only rows past that position.
        """
        sort = _Sort()
        for index, key in enumerate((*keys, *RUN_TIE_BREAKERS)):
            self._run_sort_key(sort, index, key)
        return _with_sort(query, R, sort, after)

    def apply_experiment_order(
        self, query: Select[Any], keys: Sequence[OrderKey], after: Sequence[Any] | None = None
    ) -> Select[Any]:
        """Add the ORDER BY terms of ``keys`` (default last_update_time DESC) and the id.

        Positions and ``after`` work as in ``apply_run_order``.
        """
        sort = _Sort()
        for index, key in enumerate((*(keys or EXPERIMENT_DEFAULT_ORDER), EXPERIMENT_TIE_BREAKER)):
            identifier = key.identifier
            if identifier.kind is IdentifierKind.TAG:
                alias = schema.experiment_tags.alias(f"sort_{index}")
                sort.joins.append(
                    (
                        alias,
                        and_(
                            alias.c.experiment_id == E.c.experiment_id,
                            alias.c.key == identifier.key,
                        ),
                    )
                )
                _add_term(sort, self._bytewise(alias.c.value), alias.c.value.is_(None), key)
                continue
            column = _EXPERIMENT_ATTRIBUTES.get(identifier.key)
            if identifier.kind is not IdentifierKind.ATTRIBUTE or column is None:
                raise InvalidParameter(f"order_by: cannot sort experiments on {identifier.key!r}")
            if identifier.key in _STRING_ATTRIBUTES:
                column = self._bytewise(column)
            _add_term(sort, column, column.is_(None), key)
        return _with_sort(query, E, sort, after)

    def _run_sort_key(self, sort: _Sort, index: int, key: OrderKey) -> None:
        identifier = key.identifier
        kind = identifier.kind
        if kind is IdentifierKind.ATTRIBUTE:
            column = _RUN_ATTRIBUTES.get(identifier.key)
            if column is None:
                raise InvalidParameter(f"order_by: unknown run attribute {identifier.key!r}")
            if identifier.key in _STRING_ATTRIBUTES:
                column = self._bytewise(column)
            _add_term(sort, column, column.is_(None), key)
            return
        tables = {
            IdentifierKind.METRIC: schema.latest_metrics,
            IdentifierKind.PARAM: schema.params,
            IdentifierKind.TAG: schema.tags,
        }
        if kind not in tables:
            raise InvalidParameter("order_by: datasets. cannot be sorted on")
        alias = tables[kind].alias(f"sort_{index}")
        sort.joins.append(
            (alias, and_(alias.c.run_pk == R.c.run_pk, alias.c.key == identifier.key))
        )
        if kind is IdentifierKind.METRIC:
            missing = or_(alias.c.value.is_(None), alias.c.is_nan.is_(True))
            value = case((alias.c.is_nan.is_(True), None), else_=alias.c.value)
            _add_term(sort, value, missing, key)
        else:
            _add_term(sort, self._bytewise(alias.c.value), alias.c.value.is_(None), key)


class _Parenthesised(ColumnElement[bool]):
    """A condition rendered inside its own parentheses, so the parser nests it as one node."""

    # Only very long filters use it; their statements are simply not cached.
    inherit_cache = False
    type = Boolean()

    def __init__(self, clause: ColumnElement[bool]) -> None:
        self.clause = clause


@compiles(_Parenthesised)
def _compile_parenthesised(element: _Parenthesised, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clause, **kw)})"


def _balanced(
    combine: Callable[..., ColumnElement[bool]], clauses: list[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """Join ``clauses`` with AND / OR as a shallow tree of parenthesised groups.

    A flat ``a OR b OR ...`` parses into a chain as deep as it is long, and SQLite refuses
    expression trees deeper than 1000; groups of at most ``_GROUP_SIZE`` keep the depth
    logarithmic.
    """
    if len(clauses) <= _GROUP_SIZE:
        return combine(*clauses)
    size = -(-len(clauses) // _GROUP_SIZE)
    groups = [
        _Parenthesised(_balanced(combine, clauses[start : start + size]))
        for start in range(0, len(clauses), size)
    ]
    return combine(*groups)


def _ordering(column: Any, operator: Operator, value: Any) -> Any:
    if operator is Operator.EQ:
        return column == value
    if operator is Operator.LT:
        return column < value
    if operator is Operator.LE:
        return column <= value
    if operator is Operator.GT:
        return column > value
    if operator is Operator.GE:
        return column >= value
    raise InvalidParameter(f"filter: operator {operator.value} does not apply here")


def _add_term(sort: _Sort, value: Any, missing: Any, key: OrderKey) -> None:
    # The missing group (absent or NaN) goes last whatever the direction.
    flag = case((missing, 1), else_=0)
    sort.terms.append(flag)
    sort.terms.append(value.asc() if key.ascending else value.desc())
    sort.pairs.append((flag, value, key.ascending))


def _with_sort(
    query: Select[Any], base: Any, sort: _Sort, after: Sequence[Any] | None
) -> Select[Any]:
    source: Any = base
    for alias, on in sort.joins:
        source = source.outerjoin(alias, on)
    columns = [part for flag, value, _ in sort.pairs for part in (flag, value)]
    query = query.add_columns(*columns).select_from(source).order_by(*sort.terms)
    if after is not None:
        if not check_position(after, sort.pairs):
            raise InvalidParameter("page_token: not a valid page token for this query")
        query = query.where(after_position(sort.pairs, after))
    return query
