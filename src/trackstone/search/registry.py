"""Searching the model registry: what a filter may name, and the reference matching and order.

Registered models: ``name``, ``creation_timestamp``, ``last_updated_timestamp`` (integers,
ms) and ``tags.<key>``; default order ``name ASC``.

Model versions: ``name`` (of the model), ``version_number`` (an integer), ``run_id``
(absent when the version names no run), ``source_path`` (the registered ``source``),
``current_stage`` (``None``, ``Staging``, ``Production``, ``Archived``; any letter case),
``alias`` (holds when any alias of the version satisfies it), ``creation_timestamp``,
``last_updated_timestamp`` and ``tags.<key>``; default order (MLflow's)
``last_updated_timestamp DESC, name ASC, version_number DESC``.

Matching follows ``trackstone.search.evaluate`` with one exception taken from MLflow: the tag
``mlflow.prompt.is_prompt`` reads ``'false'`` when absent, so the filter
``tags.`mlflow.prompt.is_prompt` != 'true'`` that MLflow clients add to every model search
keeps ordinary models. Orderings may name each key once; ``name ASC`` (models) and ``name
ASC, version_number DESC`` (versions) are appended when missing, which makes every order
total (names are unique, versions unique per name). A version search that names no order
sorts on ``last_updated_timestamp DESC`` first, as MLflow's does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TypeVar

from trackstone.entities.registry import ModelVersion, ModelVersionStage, RegisteredModel
from trackstone.errors import InvalidParameter
from trackstone.search.ast import Comparison, Expression, Identifier, IdentifierKind, OrderKey
from trackstone.search.evaluate import Scalar, holds
from trackstone.search.parser import parse_filter, parse_order_by
from trackstone.search.schema import (
    STRING_FIELD,
    TIME_FIELD,
    FieldSpec,
    KindSpec,
    SearchSchema,
    ValueType,
)

__all__ = [
    "MODEL_SCHEMA",
    "MODEL_TIE_BREAKERS",
    "PROMPT_TAG",
    "PROMPT_TAG_DEFAULT",
    "VERSION_DEFAULT_ORDER",
    "VERSION_SCHEMA",
    "VERSION_TIE_BREAKERS",
    "model_version_matches",
    "parse_model_filter",
    "parse_model_order_by",
    "parse_version_filter",
    "parse_version_order_by",
    "prompt_default_holds",
    "registered_model_matches",
    "sort_model_versions",
    "sort_registered_models",
]

_T = TypeVar("_T")
PROMPT_TAG = "mlflow.prompt.is_prompt"
PROMPT_TAG_DEFAULT = "false"

# Tags filter but do not sort, as in MLflow.
_TAGS = KindSpec(
    IdentifierKind.TAG,
    ("tags", "tag"),
    free_keys=FieldSpec(ValueType.STRING, nullable=True, sortable=False),
)
_TIME_ALIASES = {
    "creation_time": "creation_timestamp",
    "last_updated_time": "last_updated_timestamp",
    "last_update_time": "last_updated_timestamp",
    "timestamp": "last_updated_timestamp",
}

MODEL_SCHEMA = SearchSchema(
    entity="registered models",
    kinds=(
        _TAGS,
        KindSpec(
            IdentifierKind.ATTRIBUTE,
            ("attributes", "attribute", "attr"),
            keys=MappingProxyType(
                {
                    "name": STRING_FIELD,
                    "creation_timestamp": TIME_FIELD,
                    "last_updated_timestamp": TIME_FIELD,
                }
            ),
            aliases=MappingProxyType(_TIME_ALIASES),
        ),
    ),
)

VERSION_SCHEMA = SearchSchema(
    entity="model versions",
    kinds=(
        _TAGS,
        KindSpec(
            IdentifierKind.ATTRIBUTE,
            ("attributes", "attribute", "attr"),
            keys=MappingProxyType(
                {
                    "name": STRING_FIELD,
                    "version_number": FieldSpec(ValueType.INTEGER),
                    "run_id": FieldSpec(ValueType.STRING, sortable=False),
                    "source_path": FieldSpec(ValueType.STRING, sortable=False),
                    "current_stage": FieldSpec(
                        ValueType.STRING,
                        allowed_values=tuple(stage.value for stage in ModelVersionStage),
                        sortable=False,
                    ),
                    "alias": FieldSpec(ValueType.STRING, sortable=False),
                    "creation_timestamp": TIME_FIELD,
                    "last_updated_timestamp": TIME_FIELD,
                }
            ),
            aliases=MappingProxyType(
                {
                    **_TIME_ALIASES,
                    "version": "version_number",
                    "source": "source_path",
                    "aliases": "alias",
                    "stage": "current_stage",
                }
            ),
        ),
    ),
)

_NAME = Identifier(IdentifierKind.ATTRIBUTE, "name")
_VERSION_NUMBER = Identifier(IdentifierKind.ATTRIBUTE, "version_number")
MODEL_TIE_BREAKERS = (OrderKey(_NAME, ascending=True),)
VERSION_TIE_BREAKERS = (OrderKey(_NAME, ascending=True), OrderKey(_VERSION_NUMBER, ascending=False))
# MLflow's order when a version search names none: the most recently updated first.
VERSION_DEFAULT_ORDER = (
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "last_updated_timestamp"), ascending=False),
)


def parse_model_filter(text: str | None) -> Expression | None:
    """Parse a registered model filter. Raises InvalidParameter naming what is wrong."""
    return parse_filter(text, MODEL_SCHEMA)


def parse_version_filter(text: str | None) -> Expression | None:
    """Parse a model version filter. Raises InvalidParameter naming what is wrong."""
    return parse_filter(text, VERSION_SCHEMA)


def parse_model_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse registered model ``order_by`` items and complete them with the tie-breakers."""
    return _complete(parse_order_by(items, MODEL_SCHEMA), MODEL_TIE_BREAKERS)


def parse_version_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse model version ``order_by`` items (none: MLflow's default, last updated first)."""
    if not items:
        return [*VERSION_DEFAULT_ORDER, *VERSION_TIE_BREAKERS]
    return _complete(parse_order_by(items, VERSION_SCHEMA), VERSION_TIE_BREAKERS)


def _complete(keys: list[OrderKey], tie_breakers: Sequence[OrderKey]) -> list[OrderKey]:
    seen: set[Identifier] = set()
    for key in keys:
        if key.identifier in seen:
            raise InvalidParameter(f"order_by: {key.identifier.key} is given more than once")
        seen.add(key.identifier)
    return keys + [key for key in tie_breakers if key.identifier not in seen]


def prompt_default_holds(comparison: Comparison) -> bool:
    """Whether a comparison on the prompt tag holds for an entity that lacks the tag."""
    return holds(comparison, lambda _identifier: (PROMPT_TAG_DEFAULT,))


def registered_model_matches(expression: Expression | None, model: RegisteredModel) -> bool:
    """Return whether ``model`` satisfies ``expression`` (None matches every model)."""
    return expression is None or holds(expression, functools.partial(_model_values, model))


def model_version_matches(expression: Expression | None, version: ModelVersion) -> bool:
    """Return whether ``version`` satisfies ``expression`` (None matches every version)."""
    return expression is None or holds(expression, functools.partial(_version_values, version))


def sort_registered_models(
    models: Iterable[RegisteredModel], order_keys: Sequence[OrderKey]
) -> list[RegisteredModel]:
    """Return ``models`` in the order of completed ``order_keys`` (see the module docstring)."""
    return _sorted(models, order_keys, _model_values)


def sort_model_versions(
    versions: Iterable[ModelVersion], order_keys: Sequence[OrderKey]
) -> list[ModelVersion]:
    """Return ``versions`` in the order of completed ``order_keys``."""
    return _sorted(versions, order_keys, _version_values)


def _sorted(
    items: Iterable[_T],
    order_keys: Sequence[OrderKey],
    values: Callable[[_T, Identifier], tuple[Scalar, ...]],
) -> list[_T]:
    ordered = list(items)
    # Stable sorts from the least significant key up; every sortable field is always present.
    for key in reversed(order_keys):
        ordered.sort(key=lambda item: values(item, key.identifier)[0], reverse=not key.ascending)
    return ordered


def _tag_values(tags: Mapping[str, str], key: str) -> tuple[Scalar, ...]:
    value = tags.get(key)
    if value is None:
        return (PROMPT_TAG_DEFAULT,) if key == PROMPT_TAG else ()
    return (value,)


def _model_values(model: RegisteredModel, identifier: Identifier) -> tuple[Scalar, ...]:
    if identifier.kind is IdentifierKind.TAG:
        return _tag_values(model.tags, identifier.key)
    fields: dict[str, Scalar] = {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
    }
    value = fields.get(identifier.key)
    return () if value is None else (value,)


def _version_values(version: ModelVersion, identifier: Identifier) -> tuple[Scalar, ...]:
    if identifier.kind is IdentifierKind.TAG:
        return _tag_values(version.tags, identifier.key)
    key = identifier.key
    if key == "alias":
        return tuple(version.aliases)
    fields: dict[str, Scalar | None] = {
        "name": version.name,
        "version_number": int(version.version),
        "run_id": version.run_id or None,
        "source_path": version.source,
        "current_stage": version.current_stage.value,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
    }
    value = fields.get(key)
    return () if value is None else (value,)
