"""TrackingStore contract: log_batch atomicity, limits, write-once params, exact metric values."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from support.tracking import all_history, float_bits
from trackstone.entities import ExperimentTag, Metric, Param, RunTag
from trackstone.errors import InvalidParameter, InvalidState, NotFound
from trackstone.store.base import TrackingStore

RUN_NAME_TAG = "mlflow.runName"


@pytest.fixture
def run_id(store: TrackingStore) -> str:
    experiment_id = store.create_experiment("exp")
    return store.create_run(experiment_id, run_name="r").info.run_id


def _user_tags(store: TrackingStore, run_id: str) -> dict[str, str]:
    tags = dict(store.get_run(run_id).data.tags)
    tags.pop(RUN_NAME_TAG, None)
    return tags


def test_batch_is_stored(store: TrackingStore, run_id: str) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("loss", 0.5, 10, 0), Metric("loss", 0.4, 11, 1), Metric("acc", 0.7, 10)],
        params=[Param("lr", "0.01"), Param("opt", "adam")],
        tags=[RunTag("team", "vision")],
    )

    run = store.get_run(run_id)
    assert run.data.metrics == {"loss": 0.4, "acc": 0.7}
    assert run.data.params == {"lr": "0.01", "opt": "adam"}
    assert _user_tags(store, run_id) == {"team": "vision"}
    assert all_history(store, run_id, "loss") == [
        Metric("loss", 0.5, 10, 0),
        Metric("loss", 0.4, 11, 1),
    ]


def test_single_calls_store_like_a_batch(store: TrackingStore, run_id: str) -> None:
    store.log_metric(run_id, Metric("loss", 0.5, 10, 3))
    store.log_param(run_id, Param("lr", "0.01"))
    store.set_tag(run_id, RunTag("team", "vision"))

    run = store.get_run(run_id)
    assert run.data.latest_metrics == (Metric("loss", 0.5, 10, 3),)
    assert run.data.params == {"lr": "0.01"}
    assert _user_tags(store, run_id) == {"team": "vision"}


def test_empty_batch_is_a_no_op(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id)

    assert store.get_run(run_id).data.params == {}


def _conflict_with_stored_param(store: TrackingStore, run_id: str) -> list[Param]:
    store.log_param(run_id, Param("fixed", "1"))
    return [Param("fresh", "x"), Param("fixed", "2")]


def _conflict_inside_batch(store: TrackingStore, run_id: str) -> list[Param]:
    return [Param("dup", "a"), Param("fresh", "x"), Param("dup", "b")]


@pytest.mark.parametrize(
    "bad_params", [_conflict_with_stored_param, _conflict_inside_batch], ids=["stored", "in-batch"]
)
def test_batch_with_one_bad_param_stores_nothing(
    store: TrackingStore, run_id: str, bad_params: Callable[[TrackingStore, str], list[Param]]
) -> None:
    params = bad_params(store, run_id)
    before = store.get_run(run_id).data

    with pytest.raises(InvalidParameter):
        store.log_batch(
            run_id,
            metrics=[Metric("loss", 0.5, 10, 0)],
            params=params,
            tags=[RunTag("team", "vision")],
        )

    after = store.get_run(run_id).data
    assert after == before
    assert "fresh" not in after.params
    assert all_history(store, run_id, "loss") == []


def test_param_conflict_message_names_key_old_and_new(store: TrackingStore, run_id: str) -> None:
    store.log_param(run_id, Param("learning_rate", "0.001"))

    with pytest.raises(InvalidParameter) as caught:
        store.log_param(run_id, Param("learning_rate", "0.5"))

    message = str(caught.value)
    assert "learning_rate" in message
    assert "0.001" in message
    assert "0.5" in message
    assert store.get_run(run_id).data.params == {"learning_rate": "0.001"}


def test_relogging_the_same_param_value_is_fine(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, params=[Param("lr", "0.01"), Param("lr", "0.01")])
    store.log_param(run_id, Param("lr", "0.01"))
    store.log_batch(run_id, params=[Param("lr", "0.01"), Param("other", "x")])

    assert store.get_run(run_id).data.params == {"lr": "0.01", "other": "x"}


def test_tags_are_overwritten(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RunTag("stage", "one"))
    store.log_batch(run_id, tags=[RunTag("stage", "two"), RunTag("other", "x")])

    assert _user_tags(store, run_id) == {"stage": "two", "other": "x"}


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "field"),
    [
        (1001, 0, 0, "metrics"),
        (0, 101, 0, "params"),
        (0, 0, 101, "tags"),
        (1001, 1, 1, "metrics"),
        # MLflow's documented limits also cap a batch at 1000 records in total.
        (1000, 100, 0, "total"),
        (900, 100, 100, "total"),
    ],
)
def test_batch_over_the_limits_is_refused_whole(
    store: TrackingStore, run_id: str, metrics: int, params: int, tags: int, field: str
) -> None:
    with pytest.raises(InvalidParameter, match=field if field != "total" else "1000"):
        store.log_batch(
            run_id,
            metrics=[Metric("m", float(i), 1, i) for i in range(metrics)],
            params=[Param(f"p{i}", "v") for i in range(params)],
            tags=[RunTag(f"t{i}", "v") for i in range(tags)],
        )

    run = store.get_run(run_id)
    assert run.data.params == {}
    assert _user_tags(store, run_id) == {}
    assert all_history(store, run_id, "m") == []


@pytest.mark.parametrize(
    ("metrics", "params", "tags"),
    # MLflow also caps a batch at 1000 records in total, so the last case is the fullest one.
    [(1000, 0, 0), (0, 100, 0), (0, 0, 100), (800, 100, 100)],
)
def test_batch_at_the_limits_is_stored_whole(
    store: TrackingStore, run_id: str, metrics: int, params: int, tags: int
) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 1, i) for i in range(metrics)],
        params=[Param(f"p{i}", "v") for i in range(params)],
        tags=[RunTag(f"t{i}", "v") for i in range(tags)],
    )

    run = store.get_run(run_id)
    assert len(run.data.params) == params
    assert len(_user_tags(store, run_id)) == tags
    assert len(all_history(store, run_id, "m")) == metrics
    assert run.data.metrics == ({"m": metrics - 1.0} if metrics else {})


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ExperimentTag("k", "x" * 20001), "experiment tag 'k' value"),
        (lambda: Param("k" * 251, "v"), "param key"),
        (lambda: RunTag("k" * 251, "v"), "tag key"),
        (lambda: Metric("k" * 251, 1.0, 0), "metric key"),
        (lambda: Metric("k", "abc", 0), "metric 'k' value"),  # type: ignore[arg-type]
        (lambda: Metric("k", 1.0, 2**63), "metric 'k' timestamp"),
        (lambda: Param("../etc", "v"), "param key"),
    ],
)
def test_oversize_or_malformed_values_are_refused_naming_the_field(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(InvalidParameter, match=field):
        build()


def test_values_at_the_limits_are_stored_whole(store: TrackingStore, run_id: str) -> None:
    # Multi-byte characters: a store counting bytes, or truncating, would change these.
    key = "k" * 250
    param_value = "€" * 6000
    tag_value = "😀" * 8000

    store.log_batch(
        run_id,
        metrics=[Metric(key, 1.5, 1)],
        params=[Param(key, param_value)],
        tags=[RunTag(key, tag_value)],
    )

    run = store.get_run(run_id)
    assert run.data.params == {key: param_value}
    assert run.data.tags[key] == tag_value
    assert run.data.metrics == {key: 1.5}


def test_keys_with_dots_spaces_slashes_and_colons(store: TrackingStore, run_id: str) -> None:
    keys = ["a.b", "with space", "train/loss", "epoch:1", "-dash_under"]

    store.log_batch(
        run_id,
        metrics=[Metric(k, 1.0, 1) for k in keys],
        params=[Param(k, k) for k in keys],
        tags=[RunTag(k, k) for k in keys],
    )

    run = store.get_run(run_id)
    assert set(run.data.metrics) == set(keys)
    assert run.data.params == {k: k for k in keys}
    assert {k: run.data.tags[k] for k in keys} == {k: k for k in keys}


def test_retrying_an_identical_batch_stores_each_point_once(
    store: TrackingStore, run_id: str
) -> None:
    points = [Metric("loss", 1.0 / (i + 1), 1_000 + i, i) for i in range(10)]
    points.append(Metric("loss", math.nan, 2_000, 10))
    batch = {"metrics": points, "params": [Param("lr", "0.1")], "tags": [RunTag("t", "v")]}

    for _ in range(3):
        store.log_batch(run_id, **batch)  # type: ignore[arg-type]
    store.log_metric(run_id, points[0])

    assert all_history(store, run_id, "loss") == points
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_points_differing_only_in_value_are_both_kept(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("m", 1.0, 100, 5), Metric("m", 2.0, 100, 5)])
    store.log_metric(run_id, Metric("m", 3.0, 100, 5))

    history = all_history(store, run_id, "m")

    assert sorted(point.value for point in history) == [1.0, 2.0, 3.0]


def test_points_differing_only_in_step_or_timestamp_are_both_kept(
    store: TrackingStore, run_id: str
) -> None:
    store.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 100, 5), Metric("m", 1.0, 100, 6), Metric("m", 1.0, 101, 5)],
    )

    assert len(all_history(store, run_id, "m")) == 3


EXACT_VALUES = [
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0.0,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-300,
    0.1 + 0.2,
    1 / 3,
    123456789.123456789,
    2.0**53 + 2,
    42.0,
]


@pytest.mark.parametrize("value", EXACT_VALUES, ids=repr)
def test_metric_values_round_trip_exactly(store: TrackingStore, run_id: str, value: float) -> None:
    store.log_metric(run_id, Metric("m", value, 7, 3))

    (point,) = all_history(store, run_id, "m")
    latest = store.get_run(run_id).data.latest_metrics

    assert float_bits(point.value) == float_bits(value)
    assert (point.timestamp, point.step) == (7, 3)
    assert len(latest) == 1
    assert float_bits(latest[0].value) == float_bits(value)


def test_many_exact_values_in_one_batch(store: TrackingStore, run_id: str) -> None:
    points = [Metric("m", value, 1, step) for step, value in enumerate(EXACT_VALUES)]

    store.log_batch(run_id, metrics=points)

    history = all_history(store, run_id, "m")
    assert [float_bits(p.value) for p in history] == [float_bits(v) for v in EXACT_VALUES]


@pytest.mark.parametrize(
    ("timestamp", "step"),
    [(0, 0), (2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)), (1_700_000_000_000, -1), (1, 2**40)],
)
def test_int64_steps_and_timestamps_round_trip(
    store: TrackingStore, run_id: str, timestamp: int, step: int
) -> None:
    store.log_metric(run_id, Metric("m", 1.0, timestamp, step))

    assert all_history(store, run_id, "m") == [Metric("m", 1.0, timestamp, step)]
    assert store.get_run(run_id).data.latest_metrics == (Metric("m", 1.0, timestamp, step),)


LOG_CALLS: list[tuple[str, Callable[[TrackingStore, str], None]]] = [
    ("log_batch", lambda s, r: s.log_batch(r, metrics=[Metric("m", 1.0, 1)])),
    ("log_batch-params", lambda s, r: s.log_batch(r, params=[Param("p", "1")])),
    ("log_metric", lambda s, r: s.log_metric(r, Metric("m", 1.0, 1))),
    ("log_param", lambda s, r: s.log_param(r, Param("p", "1"))),
    ("set_tag", lambda s, r: s.set_tag(r, RunTag("t", "1"))),
]


@pytest.mark.parametrize("log", [call for _, call in LOG_CALLS], ids=[n for n, _ in LOG_CALLS])
def test_logging_to_a_deleted_run_raises_invalid_state(
    store: TrackingStore, run_id: str, log: Callable[[TrackingStore, str], None]
) -> None:
    store.delete_run(run_id)

    with pytest.raises(InvalidState):
        log(store, run_id)

    store.restore_run(run_id)
    assert store.get_run(run_id).data.params == {}
    assert all_history(store, run_id, "m") == []
    log(store, run_id)  # accepted again once restored


@pytest.mark.parametrize("log", [call for _, call in LOG_CALLS], ids=[n for n, _ in LOG_CALLS])
def test_logging_to_a_missing_run_raises_not_found(
    store: TrackingStore, log: Callable[[TrackingStore, str], None]
) -> None:
    with pytest.raises(NotFound):
        log(store, "0" * 32)


def test_logging_to_a_run_of_a_deleted_experiment_raises_invalid_state(
    store: TrackingStore, run_id: str
) -> None:
    experiment_id = store.get_run(run_id).info.experiment_id
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidState):
        store.log_metric(run_id, Metric("m", 1.0, 1))


def test_delete_tag(store: TrackingStore, run_id: str) -> None:
    store.log_batch(run_id, tags=[RunTag("a", "1"), RunTag("b", "2")])

    store.delete_tag(run_id, "a")

    assert _user_tags(store, run_id) == {"b": "2"}


def test_delete_missing_tag_raises_not_found(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RunTag("a", "1"))

    with pytest.raises(NotFound):
        store.delete_tag(run_id, "b")
    assert _user_tags(store, run_id) == {"a": "1"}


def test_delete_tag_of_missing_run_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.delete_tag("0" * 32, "a")


def test_deleted_tag_can_be_set_again(store: TrackingStore, run_id: str) -> None:
    store.set_tag(run_id, RunTag("a", "1"))
    store.delete_tag(run_id, "a")
    store.set_tag(run_id, RunTag("a", "2"))

    assert _user_tags(store, run_id) == {"a": "2"}


def test_overlapping_retries_store_the_union_once(store: TrackingStore, run_id: str) -> None:
    points = [Metric("loss", float(i), 1_000 + i, i) for i in range(15)]

    store.log_batch(run_id, metrics=points[:10])
    store.log_batch(run_id, metrics=points[5:])
    store.log_batch(run_id, metrics=points[3:12])

    assert all_history(store, run_id, "loss") == points
    assert store.get_run(run_id).data.latest_metrics == (points[-1],)
