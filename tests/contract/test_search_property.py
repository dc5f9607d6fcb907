"""TrackingStore contract, by property: search_runs agrees with the Python reference semantics.

Each example stores a few generated runs (NaN, infinities, missing keys, non-ASCII strings) in a
fresh experiment, renders generated filter trees as text, and checks that the store returns
exactly the runs ``evaluate.run_matches`` accepts on ``store.get_run()`` of each run, in the
order ``evaluate.sort_runs`` gives, across pages of random size.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.search_strategies import KEYS, filters, order_keys, runs
from support.tracking import all_pages, search_all_runs
from trackstone.clock import ManualClock
from trackstone.entities import (
    DATASET_CONTEXT_TAG,
    Dataset,
    DatasetInput,
    ExperimentTag,
    InputTag,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
    ViewType,
)
from trackstone.search.ast import Expression, IdentifierKind, OrderKey
from trackstone.search.evaluate import (
    experiment_matches,
    run_matches,
    sort_experiments,
    sort_runs,
)
from trackstone.search.format import format_filter, format_order_by
from trackstone.search.schema import EXPERIMENT_SCHEMA
from trackstone.store.base import TrackingStore

# Examples per test, by backend: PostgreSQL round trips cost more.
MAX_EXAMPLES = {"sqlite": 50, "postgres": 12}
MAX_RUNS = 6

V = TypeVar("V")


@pytest.fixture
def max_examples(request: pytest.FixtureRequest) -> int:
    backend = request.node.callspec.params.get("store", "sqlite")
    return MAX_EXAMPLES.get(backend, 15)


@pytest.fixture
def new_experiment(store: TrackingStore) -> Callable[[], str]:
    """Return a function making a fresh experiment, so each example starts empty."""
    counter: Iterator[int] = itertools.count()
    return lambda: store.create_experiment(f"property-{next(counter)}")


def _store_run(store: TrackingStore, experiment_id: str, drawn: Run) -> Run:
    """Store what a generated run holds and return the run as the store reads it back."""
    info = drawn.info
    run = store.create_run(
        experiment_id,
        user_id=info.user_id,
        start_time=info.start_time,
        run_name=info.run_name or None,
    )
    run_id = run.info.run_id
    store.log_batch(
        run_id,
        metrics=[Metric(m.key, m.value, m.timestamp, m.step) for m in drawn.data.latest_metrics],
        params=[Param(k, v) for k, v in drawn.data.params.items()],
        tags=[RunTag(k, v) for k, v in drawn.data.tags.items()],
    )
    if drawn.inputs.dataset_inputs:
        store.log_inputs(run_id, drawn.inputs.dataset_inputs)
    store.update_run_info(run_id, status=info.status, end_time=info.end_time)
    return store.get_run(run_id)


def _check(
    store: TrackingStore,
    experiment_id: str,
    stored: list[Run],
    expression: Expression | None,
    keys: list[OrderKey],
    page_size: int,
) -> None:
    filter_text = format_filter(expression)
    order_by = format_order_by(keys)
    expected = sort_runs([r for r in stored if run_matches(expression, r)], keys)

    found = search_all_runs(
        store, [experiment_id], filter_text, order_by, ViewType.ALL, page_size=page_size
    )

    context = f"filter={filter_text!r} order_by={order_by!r}"
    assert [r.info.run_id for r in found] == [r.info.run_id for r in expected], context


_runs = st.lists(runs(KEYS), min_size=1, max_size=MAX_RUNS)
_filters = st.one_of(st.none(), filters(keys=KEYS, max_leaves=6))
_orders = st.lists(order_keys(keys=KEYS), max_size=3)


def test_search_matches_reference_on_generated_runs(
    store: TrackingStore, new_experiment: Callable[[], str], max_examples: int
) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(
        drawn=_runs,
        expressions=st.lists(_filters, min_size=1, max_size=4),
        keys=_orders,
        page_size=st.integers(min_value=1, max_value=MAX_RUNS + 1),
    )
    def check(
        drawn: list[Run],
        expressions: list[Expression | None],
        keys: list[OrderKey],
        page_size: int,
    ) -> None:
        experiment_id = new_experiment()
        stored = [_store_run(store, experiment_id, run) for run in drawn]
        for expression in expressions:
            _check(store, experiment_id, stored, expression, keys, page_size)

    check()


def test_filters_match_reference_on_one_population(
    store: TrackingStore, new_experiment: Callable[[], str], max_examples: int
) -> None:
    # One stored population, many filters: cheap examples, so more of them.
    experiment_id = new_experiment()
    rng = random.Random(20_251_126)
    stored = [_store_run(store, experiment_id, _random_run(rng)) for _ in range(10)]

    @settings(
        max_examples=max_examples * 2,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(expression=filters(keys=KEYS), keys=_orders)
    def check(expression: Expression, keys: list[OrderKey]) -> None:
        _check(store, experiment_id, stored, expression, keys, page_size=1000)

    check()


_STRINGS = ("", "a", "A", "ab", "aB", "b", "%", "_", "a%", "it's", "é", "É", "x y")
_NUMBERS = (0.0, -0.0, 0.5, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e308, 5e-324)


def _random_run(rng: random.Random) -> Run:
    """Return a run over the strategies' key universe, some keys left out at random."""

    def some(keys: Sequence[str], values: Sequence[V]) -> dict[str, V]:
        return {key: rng.choice(values) for key in keys if rng.random() < 0.6}

    metrics = some(KEYS[IdentifierKind.METRIC], _NUMBERS)
    info = RunInfo(
        run_id="",
        experiment_id="",
        run_name=rng.choice(_STRINGS),
        user_id=rng.choice(_STRINGS),
        status=rng.choice(list(RunStatus)),
        start_time=rng.choice([None, 0, 1, 100, 200]),
        end_time=rng.choice([None, 0, 100]),
        artifact_uri="",
    )
    contexts = [None, "training", "eval"]
    inputs = tuple(
        DatasetInput(
            Dataset(rng.choice(["mnist", "cifar"]), rng.choice(["d1", "d2"])),
            tuple(
                InputTag(DATASET_CONTEXT_TAG, c) for c in [rng.choice(contexts)] if c is not None
            ),
        )
        for _ in range(rng.randrange(3))
    )
    return Run(
        info,
        RunData(
            tuple(Metric(k, v, 0) for k, v in metrics.items()),
            some(KEYS[IdentifierKind.PARAM], _STRINGS),
            some(KEYS[IdentifierKind.TAG], _STRINGS),
        ),
        RunInputs(inputs),
    )


_EXPERIMENT_NAMES = [s for s in _STRINGS if s.strip()]


def test_experiment_search_matches_reference(
    store: TrackingStore, clock: ManualClock, max_examples: int
) -> None:
    # Times near zero so that the generated time comparisons split the population.
    clock.advance(-clock.now_ms())
    rng = random.Random(1_126)
    for name in _EXPERIMENT_NAMES:
        clock.advance(rng.choice([0, 1, 99]))
        tags = {key: rng.choice(_STRINGS) for key in KEYS[IdentifierKind.TAG] if rng.random() < 0.6}
        experiment_id = store.create_experiment(
            name, tags=[ExperimentTag(k, v) for k, v in tags.items()]
        )
        if rng.random() < 0.3:
            clock.advance(rng.choice([1, 50]))
            store.rename_experiment(experiment_id, f"{name}~")  # bumps last_update_time
            store.rename_experiment(experiment_id, name)
        if rng.random() < 0.2:
            store.delete_experiment(experiment_id)
    everything = list(store.search_experiments(view_type=ViewType.ALL, max_results=1000))
    assert len(everything) == len(_EXPERIMENT_NAMES) + 1  # and Default

    @settings(
        max_examples=max_examples * 2,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    @given(
        expression=st.one_of(st.none(), filters(EXPERIMENT_SCHEMA, KEYS)),
        keys=st.lists(order_keys(EXPERIMENT_SCHEMA, KEYS), max_size=2),
        page_size=st.integers(min_value=1, max_value=20),
    )
    def check(expression: Expression | None, keys: list[OrderKey], page_size: int) -> None:
        filter_text = format_filter(expression)
        order_by = format_order_by(keys)
        expected = sort_experiments(
            [e for e in everything if experiment_matches(expression, e)], keys
        )

        pages = all_pages(
            lambda token: store.search_experiments(
                view_type=ViewType.ALL,
                max_results=page_size,
                filter_string=filter_text,
                order_by=order_by,
                page_token=token,
            )
        )

        found = [e.experiment_id for page in pages for e in page]
        context = f"filter={filter_text!r} order_by={order_by!r}"
        assert found == [e.experiment_id for e in expected], context

    check()
