"""LoggedModelStore contract: MLflow 3 logged models, on every store that keeps them."""

from __future__ import annotations

import math

import pytest

from trackstone.clock import ManualClock
from trackstone.entities import Metric, Param, RunTag
from trackstone.entities.logged_model import DatasetFilter, LoggedModelMetric, LoggedModelStatus
from trackstone.errors import InvalidParameter, InvalidState, NotFound
from trackstone.store.base import TrackingStore
from trackstone.store.logged_models import LoggedModelStore, logged_models_of


@pytest.fixture
def models(store: TrackingStore) -> LoggedModelStore:
    """Return the store's logged models (every backend keeps them)."""
    return logged_models_of(store)


def test_create_then_get_round_trips(
    store: TrackingStore, models: LoggedModelStore, clock: ManualClock
) -> None:
    experiment_id = store.create_experiment("models")
    run_id = store.create_run(experiment_id).info.run_id

    created = models.create_logged_model(
        experiment_id,
        name="clf",
        source_run_id=run_id,
        model_type="classifier",
        params=[Param("C", "1.0")],
        tags=[RunTag("team", "vision")],
    )
    fetched = models.get_logged_model(created.model_id)

    location = store.get_experiment(experiment_id).artifact_location.rstrip("/")
    assert fetched == created
    assert created.model_id.startswith("m-")
    assert created.name == "clf"
    assert created.experiment_id == experiment_id
    assert created.source_run_id == run_id
    assert created.model_type == "classifier"
    assert created.status is LoggedModelStatus.PENDING
    assert created.artifact_location == f"{location}/models/{created.model_id}/artifacts"
    assert created.creation_timestamp_ms == clock.now_ms()
    assert dict(created.params) == {"C": "1.0"}
    assert dict(created.tags) == {"team": "vision"}


def test_a_model_without_a_name_gets_one(store: TrackingStore, models: LoggedModelStore) -> None:
    first = models.create_logged_model(store.create_experiment("unnamed"))

    assert first.name != ""


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("missing experiment", NotFound),
        ("deleted experiment", InvalidState),
        ("missing source run", NotFound),
        ("name too long", InvalidParameter),
    ],
)
def test_create_refuses(
    store: TrackingStore, models: LoggedModelStore, case: str, error: type[Exception]
) -> None:
    experiment_id = store.create_experiment("refusals")
    arguments: dict[str, object] = {"experiment_id": experiment_id}
    if case == "missing experiment":
        arguments["experiment_id"] = "987654"
    elif case == "deleted experiment":
        store.delete_experiment(experiment_id)
    elif case == "missing source run":
        arguments["source_run_id"] = "f" * 32
    else:
        arguments["name"] = "x" * 501

    with pytest.raises(error):
        models.create_logged_model(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [LoggedModelStatus.READY, LoggedModelStatus.FAILED])
def test_finalize_sets_the_status_and_update_time(
    store: TrackingStore, models: LoggedModelStore, clock: ManualClock, status: LoggedModelStatus
) -> None:
    created = models.create_logged_model(store.create_experiment("finalize"))
    clock.advance(5_000)

    finalized = models.finalize_logged_model(created.model_id, status)

    assert finalized.status is status
    assert finalized.last_updated_timestamp_ms == created.creation_timestamp_ms + 5_000
    assert models.get_logged_model(created.model_id).status is status


def test_finalize_to_pending_is_refused(store: TrackingStore, models: LoggedModelStore) -> None:
    created = models.create_logged_model(store.create_experiment("pending"))

    with pytest.raises(InvalidParameter, match="READY or FAILED"):
        models.finalize_logged_model(created.model_id, LoggedModelStatus.PENDING)


def test_tags_are_set_overwritten_and_deleted(
    store: TrackingStore, models: LoggedModelStore
) -> None:
    model_id = models.create_logged_model(store.create_experiment("tags")).model_id

    models.set_logged_model_tags(model_id, [RunTag("a", "1"), RunTag("b", "2")])
    models.set_logged_model_tags(model_id, [RunTag("a", "3")])
    models.delete_logged_model_tag(model_id, "b")

    assert dict(models.get_logged_model(model_id).tags) == {"a": "3"}
    with pytest.raises(NotFound):
        models.delete_logged_model_tag(model_id, "b")


def test_params_are_write_once(store: TrackingStore, models: LoggedModelStore) -> None:
    model_id = models.create_logged_model(
        store.create_experiment("params"), params=[Param("lr", "0.1")]
    ).model_id

    models.log_logged_model_params(model_id, [Param("lr", "0.1"), Param("depth", "3")])
    with pytest.raises(InvalidParameter, match="write-once"):
        models.log_logged_model_params(model_id, [Param("lr", "0.2")])

    assert dict(models.get_logged_model(model_id).params) == {"lr": "0.1", "depth": "3"}


def test_deleted_models_are_hidden_but_readable_on_request(
    store: TrackingStore, models: LoggedModelStore
) -> None:
    experiment_id = store.create_experiment("deletion")
    model_id = models.create_logged_model(experiment_id, name="gone").model_id

    models.delete_logged_model(model_id)

    with pytest.raises(NotFound):
        models.get_logged_model(model_id)
    assert models.get_logged_model(model_id, allow_deleted=True).name == "gone"
    assert list(models.search_logged_models([experiment_id])) == []
    with pytest.raises(NotFound):
        models.set_logged_model_tags(model_id, [RunTag("a", "1")])


@pytest.mark.parametrize("call", ["get", "finalize", "tags", "params", "delete"])
def test_unknown_model_ids_are_not_found(models: LoggedModelStore, call: str) -> None:
    missing = "m-" + "0" * 32
    actions = {
        "get": lambda: models.get_logged_model(missing),
        "finalize": lambda: models.finalize_logged_model(missing, LoggedModelStatus.READY),
        "tags": lambda: models.set_logged_model_tags(missing, [RunTag("a", "1")]),
        "params": lambda: models.log_logged_model_params(missing, [Param("a", "1")]),
        "delete": lambda: models.delete_logged_model(missing),
    }

    with pytest.raises(NotFound):
        actions[call]()


@pytest.fixture
def catalogue(
    store: TrackingStore, models: LoggedModelStore, clock: ManualClock
) -> tuple[str, str]:
    """Two experiments: ``alpha`` (tree, forest, linear; a ms apart) and ``beta`` (other)."""
    alpha = store.create_experiment("alpha")
    beta = store.create_experiment("beta")
    for name, kind, depth in [
        ("tree", "cart", "3"),
        ("forest", "ensemble", "8"),
        ("linear", "", ""),
    ]:
        clock.advance(1)
        params = [Param("depth", depth)] if depth else []
        created = models.create_logged_model(alpha, name=name, model_type=kind, params=params)
        models.set_logged_model_tags(created.model_id, [RunTag("family", name[0])])
    ready = models.search_logged_models([alpha], filter_string="name = 'forest'")[0]
    models.finalize_logged_model(ready.model_id, LoggedModelStatus.READY)
    models.create_logged_model(beta, name="other")
    return alpha, beta


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["linear", "forest", "tree"]),
        ("name = 'tree'", ["tree"]),
        ("name LIKE '%e%'", ["linear", "forest", "tree"]),
        ("name ILIKE 'FOR%'", ["forest"]),
        ("model_type = 'cart'", ["tree"]),
        ("status = 'READY'", ["forest"]),
        ("status != 'READY'", ["linear", "tree"]),
        ("params.depth = '8'", ["forest"]),
        ("params.depth IS NULL", ["linear"]),
        ("tags.family IN ('t', 'l')", ["linear", "tree"]),
        ("name = 'tree' OR name = 'linear'", ["linear", "tree"]),
        ("metrics.accuracy > 0.5", []),
        ("name = 'other'", []),
    ],
)
def test_search_filters(
    models: LoggedModelStore,
    catalogue: tuple[str, str],
    filter_string: str | None,
    expected: list[str],
) -> None:
    found = models.search_logged_models([catalogue[0]], filter_string=filter_string)

    assert [model.name for model in found] == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["name ASC"], ["forest", "linear", "tree"]),
        (["name DESC"], ["tree", "linear", "forest"]),
        (["creation_timestamp ASC"], ["tree", "forest", "linear"]),
        (["params.depth DESC"], ["forest", "tree", "linear"]),
        (["model_type ASC"], ["tree", "forest", "linear"]),
    ],
)
def test_search_orders(
    models: LoggedModelStore,
    catalogue: tuple[str, str],
    order_by: list[str],
    expected: list[str],
) -> None:
    found = models.search_logged_models([catalogue[0]], order_by=order_by)

    assert [model.name for model in found] == expected


def test_search_spans_experiments_and_pages(
    models: LoggedModelStore, catalogue: tuple[str, str]
) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = models.search_logged_models(
            list(catalogue), max_results=3, order_by=["name ASC"], page_token=token
        )
        seen.extend(model.name for model in page)
        pages += 1
        token = page.token
        if token is None:
            break

    assert seen == ["forest", "linear", "other", "tree"]
    assert pages == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"filter_string": "name ==== 'x'"}, "filter"),
        ({"filter_string": "colour = 'red'"}, "colour"),
        ({"order_by": ["name SIDEWAYS"]}, "ASC or DESC"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"max_results": 0}, "max_results"),
    ],
)
def test_search_refuses_bad_arguments(
    models: LoggedModelStore,
    catalogue: tuple[str, str],
    arguments: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        models.search_logged_models([catalogue[0]], **arguments)  # type: ignore[arg-type]


def test_purging_an_experiment_removes_its_models(
    store: TrackingStore, models: LoggedModelStore
) -> None:
    experiment_id = store.create_experiment("purged")
    model_id = models.create_logged_model(experiment_id).model_id
    store.delete_experiment(experiment_id)

    store.purge_experiment(experiment_id)

    with pytest.raises(NotFound):
        models.get_logged_model(model_id, allow_deleted=True)


def _point(key: str, value: float, timestamp: int = 1_000, step: int = 0) -> Metric:
    return Metric(key, value, timestamp, step)


def test_model_metrics_are_run_points_listed_on_the_model(
    store: TrackingStore, models: LoggedModelStore
) -> None:
    experiment_id = store.create_experiment("model-metrics")
    run_id = store.create_run(experiment_id).info.run_id
    model_id = models.create_logged_model(experiment_id, source_run_id=run_id).model_id
    first = LoggedModelMetric(model_id, _point("acc", 0.75))
    second = LoggedModelMetric(model_id, _point("acc", 0.8, 2_000, 1), "eval", "d1")

    models.log_model_metrics(run_id, [first, second])
    models.log_model_metrics(run_id, [first])  # a retry is stored once

    listed = models.get_logged_model(model_id).metrics
    assert [(m.metric, m.run_id, m.dataset_name, m.dataset_digest) for m in listed] == [
        (first.metric, run_id, None, None),
        (second.metric, run_id, "eval", "d1"),
    ]
    assert all(m.model_id == model_id for m in listed)
    assert store.get_run(run_id).data.metrics == {"acc": 0.8}
    history = store.get_metric_history(run_id, "acc")
    assert [(m.step, m.value) for m in history] == [(0, 0.75), (1, 0.8)]


def test_model_metric_values_round_trip(store: TrackingStore, models: LoggedModelStore) -> None:
    experiment_id = store.create_experiment("model-metric-values")
    run_id = store.create_run(experiment_id).info.run_id
    model_id = models.create_logged_model(experiment_id).model_id
    values = [math.nan, math.inf, -math.inf, -0.0, 1e-300]

    models.log_model_metrics(
        run_id, [LoggedModelMetric(model_id, _point("v", v, step=i)) for i, v in enumerate(values)]
    )

    stored = [m.metric.value for m in models.get_logged_model(model_id).metrics]
    assert math.isnan(stored[0])
    assert stored[1:] == values[1:]
    assert math.copysign(1.0, stored[3]) == -1.0


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("unknown model", NotFound),
        ("missing run", NotFound),
        ("deleted run", InvalidState),
    ],
)
def test_model_metrics_are_refused_whole(
    store: TrackingStore, models: LoggedModelStore, case: str, error: type[Exception]
) -> None:
    experiment_id = store.create_experiment("refused-model-metrics")
    run_id = store.create_run(experiment_id).info.run_id
    model_id = models.create_logged_model(experiment_id).model_id
    target_run, target_model = run_id, model_id
    if case == "unknown model":
        target_model = "m-" + "0" * 32
    elif case == "missing run":
        target_run = "f" * 32
    else:
        store.delete_run(run_id)
    points = [
        LoggedModelMetric(model_id, _point("acc", 0.5)),
        LoggedModelMetric(target_model, _point("loss", 0.1)),
    ]

    with pytest.raises(error):
        models.log_model_metrics(target_run, points)

    assert store.get_run(run_id).data.metrics == {}
    assert models.get_logged_model(model_id).metrics == ()


def test_model_metrics_and_the_rest_of_their_batch_are_one_transaction(
    store: TrackingStore, models: LoggedModelStore
) -> None:
    experiment_id = store.create_experiment("model-metrics-batch")
    run_id = store.create_run(experiment_id).info.run_id
    model_id = models.create_logged_model(experiment_id).model_id
    store.log_batch(run_id, params=[Param("p", "a")])
    linked = [LoggedModelMetric(model_id, _point("acc", 0.5))]

    with pytest.raises(InvalidParameter, match="'p'"):  # the param conflicts: nothing is kept
        models.log_model_metrics(run_id, linked, [_point("loss", 0.1)], [Param("p", "b")])
    assert store.get_run(run_id).data.metrics == {}
    assert models.get_logged_model(model_id).metrics == ()

    models.log_model_metrics(
        run_id, linked, [_point("loss", 0.1)], [Param("q", "1")], [RunTag("t", "x")]
    )
    data = store.get_run(run_id).data
    assert (data.metrics, data.params["q"], data.tags["t"]) == ({"acc": 0.5, "loss": 0.1}, "1", "x")
    assert [m.metric.key for m in models.get_logged_model(model_id).metrics] == ["acc"]


@pytest.fixture
def scored(store: TrackingStore, models: LoggedModelStore, clock: ManualClock) -> str:
    """Experiment ``scored``: models a, b, c with metrics (c none) on datasets train/test."""
    experiment_id = store.create_experiment("scored")
    run_id = store.create_run(experiment_id).info.run_id
    points = {
        "a": [("acc", 0.9, 1, None, None), ("acc", 0.6, 2, "test", "t1")],
        "b": [
            ("acc", 0.4, 1, None, None),
            ("acc", 0.7, 2, "test", "t2"),
            ("f1", 0.5, 3, "train", "r1"),
        ],
        "c": [],
    }
    for name, rows in points.items():
        clock.advance(1)
        model_id = models.create_logged_model(experiment_id, name=name).model_id
        linked = [
            LoggedModelMetric(model_id, _point(key, value, timestamp), dataset, digest)
            for key, value, timestamp, dataset, digest in rows
        ]
        if linked:
            models.log_model_metrics(run_id, linked)
    return experiment_id


@pytest.mark.parametrize(
    ("filter_string", "datasets", "expected"),
    [
        ("metrics.acc > 0.8", [], ["a"]),
        # any point counts, not only the latest
        ("metrics.acc < 0.5", [], ["b"]),
        ("metrics.acc >= 0.6", [], ["b", "a"]),
        ("metrics.f1 IS NULL", [], ["c", "a"]),
        ("metrics.acc > 0.65", [DatasetFilter("test")], ["b"]),
        ("metrics.acc > 0.5", [DatasetFilter("test", "t1")], ["a"]),
        ("metrics.acc > 0", [DatasetFilter("train")], []),
        (None, [DatasetFilter("train")], ["b"]),
        (None, [DatasetFilter("test")], ["b", "a"]),
        (None, [DatasetFilter("train"), DatasetFilter("test", "t1")], ["b", "a"]),
        (None, [DatasetFilter("nowhere")], []),
        ("name = 'a'", [DatasetFilter("test", "other-digest")], []),
    ],
)
def test_search_filters_on_model_metrics_and_datasets(
    models: LoggedModelStore,
    scored: str,
    filter_string: str | None,
    datasets: list[DatasetFilter],
    expected: list[str],
) -> None:
    found = models.search_logged_models([scored], filter_string=filter_string, datasets=datasets)

    assert [model.name for model in found] == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        # by the latest point: a 0.6 (test), b 0.7 (test); c has none and goes last
        (["metrics.acc ASC"], ["a", "b", "c"]),
        (["metrics.acc DESC"], ["b", "a", "c"]),
        (["metrics.f1 DESC", "name ASC"], ["b", "a", "c"]),
    ],
)
def test_search_orders_by_model_metrics(
    models: LoggedModelStore, scored: str, order_by: list[str], expected: list[str]
) -> None:
    found = models.search_logged_models([scored], order_by=order_by)

    assert [model.name for model in found] == expected


def test_search_pages_keep_their_datasets(models: LoggedModelStore, scored: str) -> None:
    test_only = [DatasetFilter("test")]
    first = models.search_logged_models([scored], max_results=1, datasets=test_only)

    rest = models.search_logged_models(
        [scored], max_results=1, datasets=test_only, page_token=first.token
    )

    assert [m.name for m in first] + [m.name for m in rest] == ["b", "a"]
    assert rest.token is None
    with pytest.raises(InvalidParameter, match="page_token"):
        models.search_logged_models([scored], max_results=1, page_token=first.token)


@pytest.mark.parametrize(
    ("direction", "numbers"), [("DESC", ["e", "a", "d", "c"]), ("ASC", ["c", "d", "a", "e"])]
)
def test_a_nan_metric_sorts_after_the_numbers_and_keeps_their_order(
    store: TrackingStore, models: LoggedModelStore, direction: str, numbers: list[str]
) -> None:
    experiment_id = store.create_experiment(f"nan-order-{direction}")
    run_id = store.create_run(experiment_id).info.run_id
    for name, value in {"a": 0.3, "b": math.nan, "c": 0.1, "d": 0.2, "e": 0.5}.items():
        model_id = models.create_logged_model(experiment_id, name=name).model_id
        models.log_model_metrics(run_id, [LoggedModelMetric(model_id, _point("acc", value))])
    models.create_logged_model(experiment_id, name="none")

    found = models.search_logged_models([experiment_id], order_by=[f"metrics.acc {direction}"])

    assert [model.name for model in found] == [*numbers, "b", "none"]
