"""Searching logged models: what a filter may name, and matching and ordering in Python.

Attributes: ``name``, ``model_id``, ``model_type``, ``status`` (``PENDING``, ``READY``...),
``source_run_id``, ``creation_timestamp`` and ``last_updated_timestamp`` (integers, ms);
``tags.<key>``, ``params.<key>`` (strings) and ``metrics.<key>`` (numbers: every point of
that key logged against the model is a candidate, so a comparison holds when any point
satisfies it; ordering uses the latest point, by timestamp, then step, then run id). Matching
follows ``trackstone.search.evaluate``; in ordering, absent values sort last in both
directions, and ``creation_timestamp DESC, model_id ASC`` break ties (alone, they are the
default order).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Sequence
from types import MappingProxyType

from trackstone.entities.logged_model import LoggedModel, LoggedModelStatus
from trackstone.search.ast import Expression, Identifier, IdentifierKind, OrderKey
from trackstone.search.evaluate import Scalar, holds
from trackstone.search.parser import parse_filter, parse_order_by
from trackstone.search.schema import (
    METRICS_KIND,
    PARAMS_KIND,
    STRING_FIELD,
    TAGS_KIND,
    TIME_FIELD,
    FieldSpec,
    KindSpec,
    SearchSchema,
    ValueType,
)

__all__ = [
    "LOGGED_MODEL_SCHEMA",
    "logged_model_matches",
    "parse_logged_model_filter",
    "parse_logged_model_order_by",
    "sort_logged_models",
]


LOGGED_MODEL_SCHEMA = SearchSchema(
    entity="logged models",
    kinds=(
        METRICS_KIND,
        PARAMS_KIND,
        TAGS_KIND,
        KindSpec(
            IdentifierKind.ATTRIBUTE,
            ("attributes", "attribute", "attr"),
            keys=MappingProxyType(
                {
                    "name": STRING_FIELD,
                    "model_id": STRING_FIELD,
                    "model_type": STRING_FIELD,
                    "source_run_id": STRING_FIELD,
                    "status": FieldSpec(
                        ValueType.STRING, allowed_values=tuple(LoggedModelStatus.__members__)
                    ),
                    "creation_timestamp": TIME_FIELD,
                    "last_updated_timestamp": TIME_FIELD,
                }
            ),
            aliases=MappingProxyType(
                {
                    "creation_time": "creation_timestamp",
                    "creation_timestamp_ms": "creation_timestamp",
                    "last_updated_timestamp_ms": "last_updated_timestamp",
                    "last_update_time": "last_updated_timestamp",
                    "run_id": "source_run_id",
                }
            ),
        ),
    ),
)

_TIE_BREAKERS = (
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "creation_timestamp"), ascending=False),
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "model_id"), ascending=True),
)


def parse_logged_model_filter(text: str | None) -> Expression | None:
    """Parse a logged model filter. Raises InvalidParameter naming what is wrong."""
    return parse_filter(text, LOGGED_MODEL_SCHEMA)


def parse_logged_model_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse logged model ``order_by`` items. Raises InvalidParameter naming what is wrong."""
    return parse_order_by(items, LOGGED_MODEL_SCHEMA)


def logged_model_matches(expression: Expression | None, model: LoggedModel) -> bool:
    """Return whether ``model`` satisfies ``expression`` (None matches every model)."""
    return expression is None or holds(expression, functools.partial(_values, model))


def sort_logged_models(
    models: Iterable[LoggedModel], order_keys: Iterable[OrderKey]
) -> list[LoggedModel]:
    """Return ``models`` sorted by ``order_keys``, then ``creation_timestamp DESC, model_id``."""
    ordered = list(models)
    # Stable sorts from the least significant key up. NaN (which compares false with
    # everything, so it would scramble a sort) comes after the numbers and absent values
    # last, whichever the direction.
    for key in reversed((*order_keys, *_TIE_BREAKERS)):
        present: list[tuple[Scalar, LoggedModel]] = []
        not_a_number: list[LoggedModel] = []
        absent: list[LoggedModel] = []
        for model in ordered:
            values = _values(model, key.identifier)
            if not values:
                absent.append(model)
            elif isinstance(values[0], float) and math.isnan(values[0]):
                not_a_number.append(model)
            else:
                present.append((values[0], model))
        present.sort(key=operator.itemgetter(0), reverse=not key.ascending)
        ordered = [model for _, model in present] + not_a_number + absent
    return ordered


def _values(model: LoggedModel, identifier: Identifier) -> tuple[Scalar, ...]:
    kind, key = identifier.kind, identifier.key
    value: Scalar | None
    if kind is IdentifierKind.TAG:
        value = model.tags.get(key)
    elif kind is IdentifierKind.PARAM:
        value = model.params.get(key)
    elif kind is IdentifierKind.ATTRIBUTE:
        value = {
            "name": model.name,
            "model_id": model.model_id,
            "model_type": model.model_type or None,
            "source_run_id": model.source_run_id or None,
            "status": model.status.value,
            "creation_timestamp": model.creation_timestamp_ms,
            "last_updated_timestamp": model.last_updated_timestamp_ms,
        }.get(key)
    elif kind is IdentifierKind.METRIC:
        points = sorted(
            (item for item in model.metrics if item.metric.key == key),
            key=lambda item: (-item.metric.timestamp, -item.metric.step, item.run_id),
        )
        return tuple(item.metric.value for item in points)
    else:
        value = None
    return () if value is None else (value,)
