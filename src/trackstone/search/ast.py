"""The syntax tree of the filter and order-by language; parsed by ``parser``, run by the stores.

Semantics every backend implements (and ``evaluate`` spells out in Python):

* A comparison on a metric, param or tag the run does not have is false, whatever the
  operator; ``IS NULL`` is true exactly when the key is absent (``IS NOT NULL`` the opposite).
* Metrics compare their latest value as IEEE floats: NaN is unequal to everything (so only
  ``!=`` holds), +/-inf order as expected.
* ``LIKE`` is case-sensitive, ``ILIKE`` is not; ``%`` matches any run of characters, ``_``
  exactly one; there is no escape character.
* A ``datasets.`` comparison holds when any of the run's dataset inputs satisfies it.
* In ordering, absent keys and NaN metrics sort last in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

__all__ = [
    "And",
    "Comparison",
    "Expression",
    "Identifier",
    "IdentifierKind",
    "Operator",
    "Or",
    "OrderKey",
    "Value",
]


class IdentifierKind(str, Enum):
    """What an identifier's key names."""

    METRIC = "metric"
    PARAM = "param"
    TAG = "tag"
    ATTRIBUTE = "attribute"
    DATASET = "dataset"


class Operator(str, Enum):
    """Comparison operators, spelled as in the filter text."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    ILIKE = "ILIKE"
    IN = "IN"
    NOT_IN = "NOT IN"
    IS_NULL = "IS NULL"
    IS_NOT_NULL = "IS NOT NULL"


@dataclass(frozen=True)
class Identifier:
    """``metrics.loss``, ``params.`lr```, ``attributes.status``, ``datasets.name``...

    For attributes ``key`` is the canonical attribute name (``run_id``, ``start_time``, ``name``);
    for datasets it is ``name``, ``digest`` or ``context``.
    """

    kind: IdentifierKind
    key: str


# Numbers for metrics and numeric attributes; strings otherwise; a tuple of strings for IN;
# None for IS [NOT] NULL.
Value: TypeAlias = float | int | str | tuple[str, ...] | None


@dataclass(frozen=True)
class Comparison:
    """``identifier operator value``, e.g. ``metrics.loss < 0.3``."""

    identifier: Identifier
    operator: Operator
    value: Value


@dataclass(frozen=True)
class And:
    """All operands hold."""

    operands: tuple[Expression, ...]


@dataclass(frozen=True)
class Or:
    """At least one operand holds."""

    operands: tuple[Expression, ...]


Expression: TypeAlias = Comparison | And | Or


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` entry: an identifier and a direction."""

    identifier: Identifier
    ascending: bool = True
