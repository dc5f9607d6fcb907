"""Write a syntax tree back as canonical filter and order-by text that parses to the same tree.

Canonical spelling: prefixes ``metrics. params. tags. attributes. datasets.``; keys bare when
the lexer accepts them bare, else in backticks (a backtick doubled); strings in single quotes
(a quote doubled); numbers as Python's ``repr`` (infinities as ``1e999`` / ``-1e999``);
keywords in upper case; parentheses only around an ``Or`` inside an ``And``. For a tree the
parser could have produced, ``parse(format_filter(tree)) == tree``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from trackstone.search.ast import And, Comparison, Expression, Identifier, Operator, Or, OrderKey
from trackstone.search.lexer import is_bare_key

__all__ = ["format_filter", "format_identifier", "format_order_by", "format_value"]

_PREFIXES = {
    "metric": "metrics",
    "param": "params",
    "tag": "tags",
    "attribute": "attributes",
    "dataset": "datasets",
}


def format_filter(expression: Expression | None) -> str:
    """Return canonical filter text for ``expression`` ("" for None).

    Example:
        >>> format_filter(parse_run_filter("metric.loss<0.3 and tags.`a b` like 'x%'"))
        "metrics.loss < 0.3 AND tags.`a b` LIKE 'x%'"
    """
    if expression is None:
        return ""
    return _format(expression, inside_and=False)


def format_order_by(keys: Iterable[OrderKey]) -> list[str]:
    """Return one canonical ``order_by`` item per key, e.g. ``"metrics.m0 DESC"``."""
    return [
        f"{format_identifier(key.identifier)} {'ASC' if key.ascending else 'DESC'}" for key in keys
    ]


def format_identifier(identifier: Identifier) -> str:
    """Return ``identifier`` with its canonical prefix, quoting the key when needed."""
    key = identifier.key
    if not is_bare_key(key):
        key = "`" + key.replace("`", "``") + "`"
    return f"{_PREFIXES[identifier.kind.value]}.{key}"


def format_value(value: float | int | str) -> str:
    """Return a literal: a quoted string or a number the lexer reads back exactly."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN has no literal in the filter language")
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        return repr(value)
    return str(value)


def _format(expression: Expression, inside_and: bool) -> str:
    if isinstance(expression, And):
        return " AND ".join(_format(operand, inside_and=True) for operand in expression.operands)
    if isinstance(expression, Or):
        text = " OR ".join(_format(operand, inside_and=False) for operand in expression.operands)
        return f"({text})" if inside_and else text
    return _comparison(expression)


def _comparison(comparison: Comparison) -> str:
    name = format_identifier(comparison.identifier)
    operator, value = comparison.operator, comparison.value
    if operator in (Operator.IS_NULL, Operator.IS_NOT_NULL):
        return f"{name} {operator.value}"
    if isinstance(value, tuple):
        return f"{name} {operator.value} ({', '.join(format_value(item) for item in value)})"
    if value is None:
        raise ValueError(f"{operator.value} needs a value")
    return f"{name} {operator.value} {format_value(value)}"
