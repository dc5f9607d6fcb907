"""What a search may name: prefixes, attributes, value types and operators, per searched entity.

The parser is generic; a ``SearchSchema`` tells it which identifiers exist and what each one
compares to. Runs and experiments have theirs here; the model registry builds its own from the
same pieces, e.g.::

    MODEL_SCHEMA = SearchSchema(
        entity="registered models",
        kinds=(
            KindSpec(IdentifierKind.ATTRIBUTE, ("attributes", "attribute", "attr"),
                     keys={"name": FieldSpec(ValueType.STRING)}),
            KindSpec(IdentifierKind.TAG, ("tags", "tag"),
                     free_keys=FieldSpec(ValueType.STRING, nullable=True)),
        ),
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from trackstone.search.ast import Identifier, IdentifierKind, Operator, OrderKey

__all__ = [
    "EXPERIMENT_DEFAULT_ORDER",
    "EXPERIMENT_SCHEMA",
    "EXPERIMENT_TIE_BREAKER",
    "METRICS_KIND",
    "NULLABLE_STRING_FIELD",
    "PARAMS_KIND",
    "RUN_SCHEMA",
    "RUN_STATUSES",
    "RUN_TIE_BREAKERS",
    "STRING_FIELD",
    "TAGS_KIND",
    "TIME_FIELD",
    "FieldSpec",
    "KindSpec",
    "SearchSchema",
    "ValueType",
]


class ValueType(str, Enum):
    """What literal a field compares to."""

    NUMBER = "number"  # any numeric literal, held as a float (metrics)
    INTEGER = "integer"  # an integer literal within int64 (timestamps in milliseconds)
    STRING = "string"  # a single- or double-quoted string


_ORDERING = frozenset(
    {Operator.EQ, Operator.NE, Operator.LT, Operator.LE, Operator.GT, Operator.GE}
)
_MATCHING = frozenset(
    {Operator.EQ, Operator.NE, Operator.LIKE, Operator.ILIKE, Operator.IN, Operator.NOT_IN}
)
_NULL_TESTS = frozenset({Operator.IS_NULL, Operator.IS_NOT_NULL})


@dataclass(frozen=True)
class FieldSpec:
    """The rules of one searchable field (or of every key under a free prefix such as metrics).

    ``operators`` defaults from the type: numbers get ``= != < <= > >=``, strings get
    ``= != LIKE ILIKE IN NOT IN``; ``nullable`` adds ``IS NULL`` / ``IS NOT NULL``.
    ``allowed_values`` restricts ``=``, ``!=``, ``IN`` and ``NOT IN`` to these values (matched
    case-insensitively, stored as spelled here); ``LIKE`` patterns are not checked.
    ``filterable`` / ``sortable`` say where the field may appear.
    """

    type: ValueType
    nullable: bool = False
    allowed_values: tuple[str, ...] | None = None
    filterable: bool = True
    sortable: bool = True
    operators: frozenset[Operator] = frozenset()

    def __post_init__(self) -> None:
        if not self.operators:
            base = _MATCHING if self.type is ValueType.STRING else _ORDERING
            object.__setattr__(self, "operators", base | (_NULL_TESTS if self.nullable else set()))


@dataclass(frozen=True)
class KindSpec:
    """One identifier kind: its prefix spellings and either free keys or a fixed key set.

    ``prefixes`` are matched case-insensitively; the first is the canonical spelling used in
    messages and by ``format``. ``keys`` maps canonical key names to their rules and
    ``aliases`` maps other spellings (lower case) to canonical names.
    """

    kind: IdentifierKind
    prefixes: tuple[str, ...]
    free_keys: FieldSpec | None = None
    keys: Mapping[str, FieldSpec] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def canonical_key(self, key: str) -> str | None:
        """Return the canonical name of a fixed key (case-insensitive), None if unknown."""
        lowered = key.lower()
        if lowered in self.keys:
            return lowered
        return self.aliases.get(lowered)

    def spec_for(self, key: str) -> FieldSpec:
        """Return the rules for a canonical key of this kind."""
        if self.free_keys is not None:
            return self.free_keys
        return self.keys[key]


@dataclass(frozen=True)
class SearchSchema:
    """Everything the parser needs to know about one searched entity.

    ``bare_kind`` is the kind a prefix-less identifier (``status``, ``name``) belongs to, or None
    when every identifier needs a prefix.
    """

    entity: str
    kinds: tuple[KindSpec, ...]
    bare_kind: IdentifierKind | None = IdentifierKind.ATTRIBUTE

    def kind_for_prefix(self, prefix: str) -> KindSpec | None:
        """Return the kind spelled ``prefix`` (case-insensitive), None if there is none."""
        lowered = prefix.lower()
        for spec in self.kinds:
            if lowered in spec.prefixes:
                return spec
        return None

    def kind(self, kind: IdentifierKind) -> KindSpec | None:
        """Return the spec of ``kind`` in this schema, None if it is not searchable here."""
        for spec in self.kinds:
            if spec.kind is kind:
                return spec
        return None


RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")

STRING_FIELD = FieldSpec(ValueType.STRING)
NULLABLE_STRING_FIELD = FieldSpec(ValueType.STRING, nullable=True)
TIME_FIELD = FieldSpec(ValueType.INTEGER)

# The free-keyed prefixes every tracked entity with metrics, params and tags shares.
METRICS_KIND = KindSpec(
    IdentifierKind.METRIC,
    ("metrics", "metric"),
    free_keys=FieldSpec(ValueType.NUMBER, nullable=True),
)
PARAMS_KIND = KindSpec(
    IdentifierKind.PARAM,
    ("params", "param", "parameters", "parameter"),
    free_keys=NULLABLE_STRING_FIELD,
)
TAGS_KIND = KindSpec(IdentifierKind.TAG, ("tags", "tag"), free_keys=NULLABLE_STRING_FIELD)

RUN_SCHEMA = SearchSchema(
    entity="runs",
    kinds=(
        METRICS_KIND,
        PARAMS_KIND,
        TAGS_KIND,
        KindSpec(
            IdentifierKind.ATTRIBUTE,
            ("attributes", "attribute", "attr", "run"),
            keys=MappingProxyType(
                {
                    "run_id": STRING_FIELD,
                    "run_name": STRING_FIELD,
                    "status": FieldSpec(ValueType.STRING, allowed_values=RUN_STATUSES),
                    "user_id": STRING_FIELD,
                    "artifact_uri": STRING_FIELD,
                    "start_time": TIME_FIELD,
                    "end_time": FieldSpec(ValueType.INTEGER, nullable=True),
                }
            ),
            aliases=MappingProxyType(
                {"run_uuid": "run_id", "id": "run_id", "created": "start_time"}
            ),
        ),
        KindSpec(
            IdentifierKind.DATASET,
            ("datasets", "dataset"),
            keys=MappingProxyType(
                {
                    "name": FieldSpec(ValueType.STRING, sortable=False),
                    "digest": FieldSpec(ValueType.STRING, sortable=False),
                    "context": FieldSpec(ValueType.STRING, sortable=False),
                }
            ),
        ),
    ),
)

EXPERIMENT_SCHEMA = SearchSchema(
    entity="experiments",
    kinds=(
        KindSpec(
            IdentifierKind.ATTRIBUTE,
            ("attributes", "attribute", "attr"),
            keys=MappingProxyType(
                {
                    "name": STRING_FIELD,
                    "creation_time": TIME_FIELD,
                    "last_update_time": TIME_FIELD,
                    # MLflow orders experiments by id but does not filter on it.
                    "experiment_id": FieldSpec(ValueType.STRING, filterable=False),
                }
            ),
        ),
        KindSpec(IdentifierKind.TAG, ("tags", "tag"), free_keys=NULLABLE_STRING_FIELD),
    ),
)

# Every ordering ends with these, so that pages and results are deterministic.
RUN_TIE_BREAKERS = (
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "start_time"), ascending=False),
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "run_id"), ascending=True),
)
EXPERIMENT_DEFAULT_ORDER = (
    OrderKey(Identifier(IdentifierKind.ATTRIBUTE, "last_update_time"), ascending=False),
)
EXPERIMENT_TIE_BREAKER = OrderKey(
    Identifier(IdentifierKind.ATTRIBUTE, "experiment_id"), ascending=True
)
