"""The reference semantics of filters and orderings, in plain Python; stores must agree with it.

Matching (``run_matches``, ``experiment_matches``):

* Each identifier resolves to the candidate values of one entity: a metric to its latest value,
  a param or tag to its value, an attribute to the field below, ``datasets.<key>`` to that key of
  every dataset input of the run. A missing key, a ``None`` field (``end_time`` of a live run,
  a dataset input without the ``mlflow.data.context`` tag) and a run without dataset inputs give
  no candidate: the key is *absent*.
* A comparison holds when at least one candidate satisfies it, so on an absent key every
  operator is false, ``!=`` and ``NOT IN`` included. ``IS NULL`` holds exactly when there is no
  candidate and ``IS NOT NULL`` when there is one; a NaN metric is present (not NULL).
* Numbers compare as Python floats/ints: NaN satisfies only ``!=``; -inf and +inf order as
  expected; ``-0.0 = 0.0``.
* Strings compare by exact code points for ``=``, ``!=``, ``IN`` and ``NOT IN``.
* ``LIKE`` matches the whole value: ``%`` any run of characters (newlines included), ``_``
  exactly one character, everything else itself (no escape character; ``\\`` is literal), case
  sensitive. ``ILIKE`` is the same after folding ASCII ``A-Z`` to ``a-z`` in both the value and
  the pattern; other characters are not folded (SQLite and PostgreSQL's ``lower`` in the "C"
  collation agree on exactly this).
* ``And`` holds when all operands hold, ``Or`` when any does; ``None`` (no filter) matches all.

Run attributes: ``run_id``, ``run_name``, ``status`` (the name, e.g. ``FINISHED``),
``user_id``, ``artifact_uri``, ``start_time``, ``end_time`` of ``run.info``. Experiment
attributes: ``name``, ``creation_time``, ``last_update_time``, ``experiment_id``.

Ordering (``sort_runs``, ``sort_experiments``): keys apply left to right; for each key the
entities whose value is absent or NaN form one group placed after all others, in ascending and
descending order alike, and within that group the next key decides. Present values compare
numerically (numbers) or by code points (strings, i.e. Python's ``<`` on ``str``). After the
caller's keys come the tie-breakers: for runs ``start_time DESC`` then ``run_id ASC`` (alone,
they are the default order); for experiments ``experiment_id ASC``, preceded by
``last_update_time DESC`` when the caller gives no keys. Experiment ids compare as numbers when
made of ASCII digits, and all digit ids come before any other id, which compare by code points
(ties between equal numbers such as ``7`` and ``07`` go by code points).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from trackstone.entities import DatasetInput, Experiment, Run
from trackstone.errors import InvalidParameter
from trackstone.search.ast import (
    And,
    Comparison,
    Expression,
    Identifier,
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

__all__ = [
    "experiment_matches",
    "experiment_sort_key",
    "holds",
    "like",
    "run_matches",
    "sort_experiments",
    "sort_runs",
]

Scalar = float | int | str
# What one order key compares: a present value, or the (digits?, number, text) experiment id key.
_SortValue = float | int | str | tuple[int, int, str]
_T = TypeVar("_T")
# Maps an identifier to the candidate values of one entity (empty when the key is absent).
Resolver = Callable[[Identifier], tuple[Scalar, ...]]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def run_matches(expression: Expression | None, run: Run) -> bool:
    """Return whether ``run`` satisfies ``expression`` (None matches every run)."""
    return expression is None or holds(expression, functools.partial(_run_values, run))


def experiment_matches(expression: Expression | None, experiment: Experiment) -> bool:
    """Return whether ``experiment`` satisfies ``expression`` (None matches every experiment)."""
    return expression is None or holds(
        expression, functools.partial(_experiment_values, experiment)
    )


def sort_runs(runs: Iterable[Run], order_keys: Iterable[OrderKey]) -> list[Run]:
    """Return ``runs`` sorted by ``order_keys`` then ``start_time DESC, run_id ASC``."""
    keys = (*order_keys, *RUN_TIE_BREAKERS)
    return _sorted(runs, keys, _run_values)


def sort_experiments(
    experiments: Iterable[Experiment], order_keys: Iterable[OrderKey]
) -> list[Experiment]:
    """Return ``experiments`` sorted by ``order_keys`` (default ``last_update_time DESC``)
    then ``experiment_id ASC``."""
    keys = tuple(order_keys) or EXPERIMENT_DEFAULT_ORDER
    return _sorted(experiments, (*keys, EXPERIMENT_TIE_BREAKER), _experiment_values)


def holds(expression: Expression, resolve: Resolver) -> bool:
    """Return whether the entity behind ``resolve`` satisfies ``expression``.

    Other searches (the model registry) reuse this with their own resolver.
    """
    if isinstance(expression, And):
        return all(holds(operand, resolve) for operand in expression.operands)
    if isinstance(expression, Or):
        return any(holds(operand, resolve) for operand in expression.operands)
    candidates = resolve(expression.identifier)
    if expression.operator is Operator.IS_NULL:
        return not candidates
    if expression.operator is Operator.IS_NOT_NULL:
        return bool(candidates)
    return any(_satisfies(candidate, expression) for candidate in candidates)


def like(value: str, pattern: str, case_sensitive: bool = True) -> bool:
    """Return whether ``value`` matches the SQL ``LIKE`` ``pattern`` (see the module docstring)."""
    if not case_sensitive:
        value = value.translate(_ASCII_LOWER)
        pattern = pattern.translate(_ASCII_LOWER)
    return _like_regex(pattern).fullmatch(value) is not None


def experiment_sort_key(experiment_id: str) -> tuple[int, int, str]:
    """Return the key that orders experiment ids (digit ids numerically, first)."""
    if experiment_id.isascii() and experiment_id.isdigit():
        return (0, int(experiment_id), experiment_id)
    return (1, 0, experiment_id)


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _satisfies(candidate: Scalar, comparison: Comparison) -> bool:
    operator, value = comparison.operator, comparison.value
    if operator is Operator.EQ:
        return candidate == value
    if operator is Operator.NE:
        return candidate != value
    if operator in (Operator.IN, Operator.NOT_IN):
        assert isinstance(value, tuple)
        return (candidate in value) == (operator is Operator.IN)
    if operator in (Operator.LIKE, Operator.ILIKE):
        assert isinstance(candidate, str) and isinstance(value, str)
        return like(candidate, value, case_sensitive=operator is Operator.LIKE)
    assert isinstance(candidate, (int, float)) and isinstance(value, (int, float))
    if operator is Operator.LT:
        return candidate < value
    if operator is Operator.LE:
        return candidate <= value
    if operator is Operator.GT:
        return candidate > value
    if operator is Operator.GE:
        return candidate >= value
    raise InvalidParameter(f"filter: operator {operator.value} cannot be evaluated")


def _present(*values: Scalar | None) -> tuple[Scalar, ...]:
    return tuple(value for value in values if value is not None)


def _run_values(run: Run, identifier: Identifier) -> tuple[Scalar, ...]:
    kind, key = identifier.kind, identifier.key
    if kind is IdentifierKind.METRIC:
        return _present(_latest_metric(run, key))
    if kind is IdentifierKind.PARAM:
        return _present(run.data.params.get(key))
    if kind is IdentifierKind.TAG:
        return _present(run.data.tags.get(key))
    if kind is IdentifierKind.DATASET:
        inputs = run.inputs.dataset_inputs
        return _present(*(_dataset_value(dataset_input, key) for dataset_input in inputs))
    info = run.info
    attributes: dict[str, Scalar | None] = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "status": info.status.value,
        "user_id": info.user_id,
        "artifact_uri": info.artifact_uri,
        "start_time": info.start_time,
        "end_time": info.end_time,
    }
    if key not in attributes:
        raise InvalidParameter(f"filter: unknown run attribute {key!r}")
    return _present(attributes[key])


def _latest_metric(run: Run, key: str) -> float | None:
    for metric in run.data.latest_metrics:
        if metric.key == key:
            return metric.value
    return None


def _dataset_value(dataset_input: DatasetInput, key: str) -> str | None:
    if key == "name":
        return dataset_input.dataset.name
    if key == "digest":
        return dataset_input.dataset.digest
    if key == "context":
        return dataset_input.context
    raise InvalidParameter(f"filter: unknown dataset key {key!r}")


def _experiment_values(experiment: Experiment, identifier: Identifier) -> tuple[Scalar, ...]:
    kind, key = identifier.kind, identifier.key
    if kind is IdentifierKind.TAG:
        return _present(experiment.tags.get(key))
    if kind is not IdentifierKind.ATTRIBUTE:
        raise InvalidParameter(f"filter: experiments have no {kind.value} values")
    attributes: dict[str, Scalar | None] = {
        "name": experiment.name,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "experiment_id": experiment.experiment_id,
    }
    if key not in attributes:
        raise InvalidParameter(f"filter: unknown experiment attribute {key!r}")
    return _present(attributes[key])


def _sorted(
    items: Iterable[_T],
    keys: tuple[OrderKey, ...],
    values: Callable[[_T, Identifier], tuple[Scalar, ...]],
) -> list[_T]:
    for key in keys:
        if key.identifier.kind is IdentifierKind.DATASET:
            raise InvalidParameter("order_by: datasets. cannot be sorted on")

    def sort_value(item: _T, identifier: Identifier) -> _SortValue | None:
        candidates = values(item, identifier)
        if not candidates:
            return None
        value = candidates[0]
        if isinstance(value, float) and math.isnan(value):
            return None
        if identifier == EXPERIMENT_TIE_BREAKER.identifier and isinstance(value, str):
            return experiment_sort_key(value)
        return value

    rows: list[tuple[_T, list[_SortValue | None]]] = [
        (item, [sort_value(item, key.identifier) for key in keys]) for item in items
    ]

    def compare(
        left: tuple[_T, list[_SortValue | None]], right: tuple[_T, list[_SortValue | None]]
    ) -> int:
        for key, a, b in zip(keys, left[1], right[1], strict=True):
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return 1 if a is None else -1
            if a != b:
                less = a < b  # type: ignore[operator]
                return (-1 if less else 1) * (1 if key.ascending else -1)
        return 0

    return [item for item, _ in sorted(rows, key=functools.cmp_to_key(compare))]
