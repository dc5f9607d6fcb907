"""Hypothesis strategies for the search language: filter trees, order keys and runs to match.

The trees are normalised as the parser returns them (``And`` / ``Or`` with two or more operands,
never directly nested in their own type), so ``parse(format(tree)) == tree`` holds. A store test
draws runs and filters over the same small key universe so that filters often hit::

    @given(runs=st.lists(runs(), max_size=20, unique_by=lambda r: r.info.run_id),
           expression=filters())
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import strategies as st

from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from trackstone.search.ast import (
    And,
    Comparison,
    Expression,
    Identifier,
    IdentifierKind,
    Operator,
    Or,
    OrderKey,
    Value,
)
from trackstone.search.schema import RUN_SCHEMA, FieldSpec, SearchSchema, ValueType

__all__ = [
    "KEYS",
    "STRINGS",
    "comparisons",
    "filters",
    "identifiers",
    "order_keys",
    "runs",
]

# A small universe so that generated filters and generated runs meet often.
KEYS: dict[IdentifierKind, Sequence[str]] = {
    IdentifierKind.METRIC: ("m0", "m1", "m 2"),
    IdentifierKind.PARAM: ("p0", "p1"),
    IdentifierKind.TAG: ("t0", "mlflow.runName"),
}
# Values with case differences, LIKE wildcards, quotes and non-ASCII letters.
STRINGS = st.sampled_from(("", "a", "A", "ab", "aB", "b", "%", "_", "a%", "it's", "é", "É", "x y"))
_PATTERN_PIECES = st.sampled_from(("a", "A", "b", "B", "%", "_", "'", "é", "É", " "))
_NUMBERS = st.one_of(
    st.sampled_from((0.0, -0.0, 0.5, 1.0, -1.0, float("inf"), float("-inf"))),
    st.floats(allow_nan=False, width=64),
)
_TIMES = st.one_of(st.sampled_from((0, 1, 100, 200)), st.integers(-(2**63), 2**63 - 1))


def identifiers(
    schema: SearchSchema = RUN_SCHEMA,
    keys: dict[IdentifierKind, Sequence[str]] | None = None,
    *,
    sorting: bool = False,
) -> st.SearchStrategy[tuple[Identifier, FieldSpec]]:
    """Draw an identifier the schema allows in filters (or in order_by), with its rules."""
    options: list[st.SearchStrategy[tuple[Identifier, FieldSpec]]] = []
    for spec in schema.kinds:
        if spec.free_keys is not None:
            usable = spec.free_keys.sortable if sorting else spec.free_keys.filterable
            if not usable:
                continue
            pool = (keys or {}).get(spec.kind)
            names = st.sampled_from(pool) if pool else st.text(min_size=1, max_size=10)
            options.append(names.map(_pair(spec.kind, spec.free_keys)))
        else:
            fixed = [
                (Identifier(spec.kind, name), field)
                for name, field in spec.keys.items()
                if (field.sortable if sorting else field.filterable)
            ]
            if fixed:
                options.append(st.sampled_from(fixed))
    return st.one_of(options)


def comparisons(
    schema: SearchSchema = RUN_SCHEMA,
    keys: dict[IdentifierKind, Sequence[str]] | None = None,
    strings: st.SearchStrategy[str] = STRINGS,
) -> st.SearchStrategy[Comparison]:
    """Draw one well-typed comparison the parser accepts."""

    @st.composite
    def draw(data: st.DrawFn) -> Comparison:
        identifier, field = data(identifiers(schema, keys))
        operator = data(st.sampled_from(sorted(field.operators, key=lambda op: op.value)))
        return Comparison(identifier, operator, data(_values(field, operator, strings)))

    return draw()


def filters(
    schema: SearchSchema = RUN_SCHEMA,
    keys: dict[IdentifierKind, Sequence[str]] | None = None,
    strings: st.SearchStrategy[str] = STRINGS,
    max_leaves: int = 8,
) -> st.SearchStrategy[Expression]:
    """Draw a normalised filter tree of comparisons joined by AND / OR."""
    leaves: st.SearchStrategy[Expression] = comparisons(schema, keys, strings)
    return st.recursive(
        leaves,
        lambda children: st.builds(
            _join, st.sampled_from((And, Or)), st.lists(children, min_size=2, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def order_keys(
    schema: SearchSchema = RUN_SCHEMA, keys: dict[IdentifierKind, Sequence[str]] | None = None
) -> st.SearchStrategy[OrderKey]:
    """Draw one order key the schema allows."""
    return st.builds(
        OrderKey, identifiers(schema, keys, sorting=True).map(lambda pair: pair[0]), st.booleans()
    )


@st.composite
def runs(
    draw: st.DrawFn,
    keys: dict[IdentifierKind, Sequence[str]] | None = None,
    strings: st.SearchStrategy[str] = STRINGS,
) -> Run:
    """Draw a run whose metrics, params and tags use ``keys`` (default ``KEYS``)."""
    keys = keys or KEYS
    metric_values = st.one_of(_NUMBERS, st.just(float("nan")))
    metrics = draw(st.dictionaries(st.sampled_from(keys[IdentifierKind.METRIC]), metric_values))
    params = draw(st.dictionaries(st.sampled_from(keys[IdentifierKind.PARAM]), strings))
    tags = draw(st.dictionaries(st.sampled_from(keys[IdentifierKind.TAG]), strings))
    small_times = st.one_of(st.none(), st.sampled_from((0, 1, 100, 200)))
    info = RunInfo(
        run_id=draw(st.text("0123456789abcdef", min_size=8, max_size=8)),
        experiment_id="1",
        run_name=draw(strings),
        user_id=draw(strings),
        status=draw(st.sampled_from(RunStatus)),
        start_time=draw(small_times),
        end_time=draw(small_times),
        artifact_uri=draw(strings),
    )
    inputs = draw(
        st.lists(
            st.builds(
                _dataset_input,
                st.sampled_from(("mnist", "cifar")),
                st.sampled_from(("d1", "d2")),
                st.one_of(st.none(), st.sampled_from(("training", "eval"))),
            ),
            max_size=2,
        )
    )
    latest = tuple(Metric(key, value, timestamp=0) for key, value in metrics.items())
    return Run(info, RunData(latest, params, tags), RunInputs(tuple(inputs)))


def _pair(kind: IdentifierKind, field: FieldSpec) -> Callable[[str], tuple[Identifier, FieldSpec]]:
    return lambda name: (Identifier(kind, name), field)


def _values(
    field: FieldSpec, operator: Operator, strings: st.SearchStrategy[str]
) -> st.SearchStrategy[Value]:
    if operator in (Operator.IS_NULL, Operator.IS_NOT_NULL):
        return st.none()
    if field.type is ValueType.NUMBER:
        return _NUMBERS
    if field.type is ValueType.INTEGER:
        return _TIMES
    if operator in (Operator.LIKE, Operator.ILIKE):
        return st.lists(_PATTERN_PIECES, max_size=5).map("".join)
    choices = st.sampled_from(field.allowed_values) if field.allowed_values else strings
    if operator in (Operator.IN, Operator.NOT_IN):
        return st.lists(choices, min_size=1, max_size=3).map(tuple)
    return choices


def _join(node: type[And] | type[Or], operands: list[Expression]) -> Expression:
    flat: list[Expression] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, node) else (operand,))
    return node(tuple(flat))


def _dataset_input(name: str, digest: str, context: str | None) -> DatasetInput:
    tags = () if context is None else (InputTag(DATASET_CONTEXT_TAG, context),)
    return DatasetInput(Dataset(name, digest), tags)
