"""Keyset paging: the condition "strictly after this position" in a search's sort order.

A search sorts on pairs of terms per order key: a missing flag (0, or 1 for an absent or NaN
value, so those come last in both directions) and the value, ascending or descending. The
position of a row is the list ``[flag_0, value_0, flag_1, value_1, ...]``; the tie-breakers
make it unique, so the rows after it are exactly those not yet returned, whatever was deleted
in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

__all__ = ["SortTerm", "after_position", "check_position"]

# (missing flag expression, value expression, ascending)
SortTerm = tuple[Any, Any, bool]


def check_position(position: Sequence[Any], terms: Sequence[SortTerm]) -> bool:
    """Whether ``position`` has the shape of a row position for ``terms``."""
    if len(position) != 2 * len(terms):
        return False
    for flag, value in zip(position[0::2], position[1::2], strict=True):
        if flag not in (0, 1) or isinstance(flag, bool):
            return False
        if value is not None and not isinstance(value, (str, int, float)):
            return False
        if flag == 0 and value is None:
            return False
    return True


def after_position(terms: Sequence[SortTerm], position: Sequence[Any]) -> ColumnElement[bool]:
    """Return the condition selecting rows that sort strictly after ``position``."""
    alternatives: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for (flag_expr, value_expr, ascending), flag, value in zip(
        terms, position[0::2], position[1::2], strict=True
    ):
        if flag == 1:
            # Nothing sorts after the missing group on this term; only ties go on.
            equal_so_far.append(flag_expr == 1)
            continue
        beyond = value_expr > value if ascending else value_expr < value
        later = or_(flag_expr == 1, and_(flag_expr == 0, beyond))
        alternatives.append(and_(*equal_so_far, later))
        equal_so_far.append(and_(flag_expr == 0, value_expr == value))
    if not alternatives:
        return false()
    return or_(*alternatives)
