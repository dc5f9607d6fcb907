"""TrackingStore contract: search_experiments filters, ordering, pagination and view types."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from support.tracking import all_pages
from trackstone.clock import ManualClock
from trackstone.entities import ExperimentTag, ViewType
from trackstone.errors import InvalidParameter
from trackstone.store.base import TrackingStore


@dataclass(frozen=True)
class Catalogue:
    """Experiments created one second apart; ``t0`` is the clock when the store opened."""

    store: TrackingStore
    t0: int


@pytest.fixture(scope="module")
def catalogue(shared_store: TrackingStore, shared_clock: ManualClock) -> Catalogue:
    """Store the catalogue once per module and backend; tests using it must only read."""
    store, clock = shared_store, shared_clock
    t0 = clock.now_ms()
    specs: list[tuple[str, dict[str, str]]] = [
        ("exp-alpha", {"team": "vision", "stage": "prod"}),  # created t0 + 1000
        ("exp-beta", {"team": "nlp"}),  # t0 + 2000
        ("Exp-Gamma", {}),  # t0 + 3000
        ("exp-delta", {"team": "Vision"}),  # t0 + 4000, deleted
    ]
    for name, tags in specs:
        clock.advance(1_000)
        store.create_experiment(name, tags=[ExperimentTag(k, v) for k, v in tags.items()])
    clock.advance(1_000)
    deleted = store.get_experiment_by_name("exp-delta")
    assert deleted is not None
    store.delete_experiment(deleted.experiment_id)
    return Catalogue(store, t0)


def _names(store: TrackingStore, view: ViewType, filter_string: str | None) -> set[str]:
    found = store.search_experiments(view_type=view, filter_string=filter_string)
    return {experiment.name for experiment in found}


ACTIVE = ViewType.ACTIVE_ONLY

FILTER_CASES = [
    ("name = 'exp-beta'", ACTIVE, {"exp-beta"}),
    ("name != 'exp-beta'", ACTIVE, {"Default", "exp-alpha", "Exp-Gamma"}),
    ("name LIKE 'exp-%'", ACTIVE, {"exp-alpha", "exp-beta"}),
    ("name ILIKE 'exp-%'", ACTIVE, {"exp-alpha", "exp-beta", "Exp-Gamma"}),
    ("name LIKE '%a'", ACTIVE, {"exp-alpha", "exp-beta", "Exp-Gamma"}),
    ("name LIKE 'exp-_eta'", ACTIVE, {"exp-beta"}),
    ("attributes.name = 'Exp-Gamma'", ACTIVE, {"Exp-Gamma"}),
    ("name = 'exp-delta'", ACTIVE, set()),
    ("tags.team = 'vision'", ACTIVE, {"exp-alpha"}),
    ("tags.team != 'vision'", ACTIVE, {"exp-beta"}),
    ("tags.team ILIKE 'VISION'", ACTIVE, {"exp-alpha"}),
    ("tags.`team` LIKE 'n%'", ACTIVE, {"exp-beta"}),
    ("tags.stage = 'prod' AND tags.team = 'vision'", ACTIVE, {"exp-alpha"}),
    ("tags.stage = 'prod' and tags.team = 'nlp'", ACTIVE, set()),
    ("tags.team = 'nlp' OR name = 'Exp-Gamma'", ACTIVE, {"exp-beta", "Exp-Gamma"}),
    ("creation_time > {t0_1500}", ACTIVE, {"exp-beta", "Exp-Gamma"}),
    ("creation_time >= {t0_1000} AND creation_time < {t0_3000}", ACTIVE, {"exp-alpha", "exp-beta"}),
    ("last_update_time = {t0_2000}", ACTIVE, {"exp-beta"}),
    ("name LIKE 'exp-%'", ViewType.DELETED_ONLY, {"exp-delta"}),
    ("name LIKE 'exp-%'", ViewType.ALL, {"exp-alpha", "exp-beta", "exp-delta"}),
    ("tags.team ILIKE 'vision'", ViewType.ALL, {"exp-alpha", "exp-delta"}),
    (None, ViewType.DELETED_ONLY, {"exp-delta"}),
    (None, ACTIVE, {"Default", "exp-alpha", "exp-beta", "Exp-Gamma"}),
]


@pytest.mark.parametrize(("filter_string", "view", "expected"), FILTER_CASES)
def test_filter(
    catalogue: Catalogue, filter_string: str | None, view: ViewType, expected: set[str]
) -> None:
    if filter_string is not None:
        t0 = catalogue.t0
        filter_string = filter_string.format(
            t0_1000=t0 + 1000, t0_1500=t0 + 1500, t0_2000=t0 + 2000, t0_3000=t0 + 3000
        )

    assert _names(catalogue.store, view, filter_string) == expected


ORDER_CASES = [
    (["name ASC"], ["Exp-Gamma", "exp-alpha", "exp-beta"]),
    (["name"], ["Exp-Gamma", "exp-alpha", "exp-beta"]),
    (["name DESC"], ["exp-beta", "exp-alpha", "Exp-Gamma"]),
    (["creation_time DESC"], ["Exp-Gamma", "exp-beta", "exp-alpha"]),
    (["attributes.creation_time ASC"], ["exp-alpha", "exp-beta", "Exp-Gamma"]),
    (["last_update_time ASC"], ["exp-alpha", "exp-beta", "Exp-Gamma"]),
    (None, ["Exp-Gamma", "exp-beta", "exp-alpha"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES)
def test_order(catalogue: Catalogue, order_by: list[str] | None, expected: list[str]) -> None:
    found = catalogue.store.search_experiments(filter_string="name != 'Default'", order_by=order_by)

    assert [experiment.name for experiment in found] == expected


def test_default_order_is_last_update_desc_then_id(
    store: TrackingStore, clock: ManualClock
) -> None:
    clock.advance(1_000)
    same_time = [store.create_experiment(f"same-{i}") for i in range(3)]
    clock.advance(1_000)
    renamed = store.create_experiment("renamed-early")
    clock.advance(1_000)
    latest = store.create_experiment("latest")
    clock.advance(1_000)
    store.rename_experiment(renamed, "renamed-late")

    found = store.search_experiments(filter_string="name != 'Default'")

    same_sorted = sorted(same_time, key=int)
    assert [e.experiment_id for e in found] == [renamed, latest, *same_sorted]


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 8, 100])
def test_pagination_visits_every_experiment_once(
    store: TrackingStore, clock: ManualClock, page_size: int
) -> None:
    for i in range(7):
        if i % 3 == 0:
            clock.advance(10)
        store.create_experiment(f"exp-{i}")
    everything = [e.experiment_id for e in store.search_experiments(max_results=1000)]

    pages = all_pages(
        lambda token: store.search_experiments(max_results=page_size, page_token=token)
    )

    assert all(len(page) <= page_size for page in pages)
    assert [e.experiment_id for page in pages for e in page] == everything
    assert len(everything) == 8  # seven plus Default


def test_last_page_has_no_token(store: TrackingStore) -> None:
    store.create_experiment("only")

    page = store.search_experiments(max_results=10)

    assert len(page) == 2
    assert not page.token


@pytest.mark.parametrize("max_results", [0, -1])
def test_max_results_must_be_positive(store: TrackingStore, max_results: int) -> None:
    with pytest.raises(InvalidParameter, match="max_results"):
        store.search_experiments(max_results=max_results)


@pytest.mark.parametrize(
    "filter_string",
    [
        "name = ",
        "name === 'x'",
        "nonsense.name = 'x'",
        "name = 'x' AND",
        "(name = 'x'",
        "name = 'unterminated",
        "creation_time > 'not a number'",
    ],
)
def test_bad_filter_raises_invalid_parameter(store: TrackingStore, filter_string: str) -> None:
    with pytest.raises(InvalidParameter):
        store.search_experiments(filter_string=filter_string)


@pytest.mark.parametrize("order_by", [["name SIDEWAYS"], ["nonsense ASC"], ["metrics.x ASC"]])
def test_bad_order_by_raises_invalid_parameter(store: TrackingStore, order_by: list[str]) -> None:
    with pytest.raises(InvalidParameter):
        store.search_experiments(order_by=order_by)


def test_bad_page_token_raises_invalid_parameter(store: TrackingStore) -> None:
    for i in range(3):
        store.create_experiment(f"exp-{i}")
    token = store.search_experiments(max_results=1).token
    assert token

    for bad in ["garbage", token[:-3], token + "x" * 4, token[::-1]]:
        with pytest.raises(InvalidParameter):
            store.search_experiments(max_results=1, page_token=bad)
