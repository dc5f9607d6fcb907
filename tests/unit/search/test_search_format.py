"""Canonical filter text: examples, and text -> tree -> text round trips under hypothesis."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.search_strategies import KEYS, filters, identifiers, order_keys, runs
from trackstone.entities import Run
from trackstone.search.ast import Comparison, Expression, Identifier, Operator, OrderKey
from trackstone.search.evaluate import run_matches, sort_runs
from trackstone.search.format import format_filter, format_order_by, format_value
from trackstone.search.parser import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)
from trackstone.search.schema import EXPERIMENT_SCHEMA, FieldSpec, ValueType

FAST = settings(max_examples=200, deadline=None)
FEWER = settings(max_examples=60, deadline=None)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("metric.loss<0.3", "metrics.loss < 0.3"),
        ("metrics.loss < 1", "metrics.loss < 1.0"),
        ("metrics.loss > -1e999", "metrics.loss > -1e999"),
        ("metrics.loss > 1e20", "metrics.loss > 1e+20"),
        ('params.`p 1` = "it\'s"', "params.`p 1` = 'it''s'"),
        ("tags.\"a`b\" like 'x%'", "tags.`a``b` LIKE 'x%'"),
        ("tags.mlflow.runName != 'r'", "tags.mlflow.runName != 'r'"),
        ("status in ('running','failed')", "attributes.status IN ('RUNNING', 'FAILED')"),
        ("run_uuid not in ('a')", "attributes.run_id NOT IN ('a')"),
        ("end_time is not null", "attributes.end_time IS NOT NULL"),
        ("created >= 5", "attributes.start_time >= 5"),
        ("dataset.context ilike 'TRAIN'", "datasets.context ILIKE 'TRAIN'"),
        (
            "metrics.a = 1 or metrics.b = 2 and (metrics.c = 3 or metrics.d = 4)",
            "metrics.a = 1.0 OR metrics.b = 2.0 AND (metrics.c = 3.0 OR metrics.d = 4.0)",
        ),
        (
            "(metrics.a = 1 and metrics.b = 2) or metrics.c = 3",
            "metrics.a = 1.0 AND metrics.b = 2.0 OR metrics.c = 3.0",
        ),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert format_filter(parse_run_filter(text)) == canonical


@pytest.mark.parametrize(
    ("items", "canonical"),
    [
        (["metrics.m0 desc", "params.`p 1`"], ["metrics.m0 DESC", "params.`p 1` ASC"]),
        (["created"], ["attributes.start_time ASC"]),
    ],
)
def test_canonical_order_by(items: list[str], canonical: list[str]) -> None:
    assert format_order_by(parse_run_order_by(items)) == canonical


def test_nan_has_no_literal() -> None:
    with pytest.raises(ValueError, match="NaN"):
        format_value(float("nan"))


@FAST
@given(filters(max_leaves=10))
def test_run_filter_round_trip(expression: Expression) -> None:
    assert parse_run_filter(format_filter(expression)) == expression


@FAST
@given(filters(EXPERIMENT_SCHEMA))
def test_experiment_filter_round_trip(expression: Expression) -> None:
    assert parse_experiment_filter(format_filter(expression)) == expression


@FAST
@given(st.lists(order_keys(), max_size=4))
def test_run_order_by_round_trip(keys: list[OrderKey]) -> None:
    assert parse_run_order_by(format_order_by(keys)) == keys


@FAST
@given(st.lists(order_keys(EXPERIMENT_SCHEMA), max_size=4))
def test_experiment_order_by_round_trip(keys: list[OrderKey]) -> None:
    assert parse_experiment_order_by(format_order_by(keys)) == keys


@FEWER
@given(
    st.lists(runs(), max_size=8, unique_by=lambda run: run.info.run_id),
    st.lists(order_keys(keys=KEYS), max_size=3),
    st.randoms(use_true_random=False),
)
def test_sort_runs_is_a_total_order(
    generated: list[Run], keys: list[OrderKey], rng: random.Random
) -> None:
    shuffled = list(generated)
    rng.shuffle(shuffled)
    ordered = sort_runs(generated, keys)
    assert sort_runs(shuffled, keys) == ordered
    assert sorted(run.info.run_id for run in ordered) == sorted(r.info.run_id for r in generated)


@FEWER
@given(runs(), identifiers(keys=KEYS), st.floats(allow_nan=False))
def test_null_tests_and_inequality_complement(
    run: Run, pair: tuple[Identifier, FieldSpec], number: float
) -> None:
    identifier, field = pair
    present = run_matches(Comparison(identifier, Operator.IS_NOT_NULL, None), run)
    if field.nullable:
        absent = run_matches(Comparison(identifier, Operator.IS_NULL, None), run)
        assert absent is not present
    if field.type is ValueType.NUMBER:
        equal = run_matches(Comparison(identifier, Operator.EQ, number), run)
        unequal = run_matches(Comparison(identifier, Operator.NE, number), run)
        assert unequal is (present and not equal)
