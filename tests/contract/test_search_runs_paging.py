"""TrackingStore contract: search_runs page tokens, page sizes and max_results bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from support.tracking import all_pages, make_run
from trackstone.entities import Metric, ViewType
from trackstone.errors import InvalidParameter
from trackstone.store.base import SEARCH_MAX_RESULTS_LIMIT, TrackingStore

BASE = 1_600_000_000_000


def _paged_run(store: TrackingStore, experiment_id: str, i: int, start_time: int) -> str:
    """Create run ``n<i>``; some lack every key, some hold NaN, values repeat (ties)."""
    absent = i % 6 == 0
    metrics = [] if absent else [Metric("m", float(i % 5) if i % 7 else math.nan, 1, 0)]
    run = make_run(
        store,
        experiment_id,
        run_name=f"n{i:03d}",
        start_time=start_time,
        metrics=metrics,
        params={} if absent else {"p": f"v{i % 4}"},
        tags={} if absent else {"t": f"t{i % 3}"},
    )
    return run.info.run_id


@dataclass(frozen=True)
class Listing:
    """Nine active runs and a deleted one in ``experiment_id``, one run in ``other``."""

    store: TrackingStore
    experiment_id: str
    other_experiment_id: str


@pytest.fixture(scope="module")
def listing(shared_store: TrackingStore) -> Listing:
    """Store the listing once per module and backend; tests using it must only read."""
    store = shared_store
    experiment_id = store.create_experiment("listing")
    other = store.create_experiment("other")
    for i in range(9):
        _paged_run(store, experiment_id, i, BASE + 10 * (i % 4))
    store.delete_run(_paged_run(store, experiment_id, 9, BASE))
    _paged_run(store, other, 10, BASE)
    return Listing(store, experiment_id, other)


PAGINATION_CASES: list[tuple[list[str] | None, int]] = [
    (None, 1),
    (None, 4),
    (["metrics.m DESC"], 1),
    (["metrics.m DESC"], 3),
    (["params.p ASC"], 4),
    (["attributes.run_name ASC"], 5),
    (["tags.t DESC", "metrics.m ASC"], 2),
]


@pytest.mark.parametrize(("order_by", "page_size"), PAGINATION_CASES)
def test_pages_visit_every_run_once_while_runs_are_created(
    store: TrackingStore, order_by: list[str] | None, page_size: int
) -> None:
    experiment_id = store.create_experiment("paged")
    original = {_paged_run(store, experiment_id, i, BASE + 10 * i) for i in range(25)}
    # New runs land before, after, between and on the same start time as existing ones.
    new_start_times = [BASE + 100_000, BASE + 125, BASE - 1, BASE + 70, BASE + 240, BASE + 5]
    created: list[str] = []
    seen: list[str] = []
    token: str | None = None
    for _ in range(200):
        page = store.search_runs(
            [experiment_id], max_results=page_size, order_by=order_by, page_token=token
        )
        seen.extend(run.info.run_id for run in page)
        token = page.token
        if not token:
            break
        start_time = new_start_times[len(created) % len(new_start_times)]
        created.append(_paged_run(store, experiment_id, 100 + len(created), start_time))

    assert not token, "pagination did not end"
    assert len(seen) == len(set(seen)), "a run was returned twice"
    assert original <= set(seen), "a run that existed at the first page was skipped"
    assert set(seen) <= original | set(created)


@pytest.mark.parametrize("view", list(ViewType))
@pytest.mark.parametrize("order_by", [None, ["metrics.m ASC"], ["tags.t DESC"]])
@pytest.mark.parametrize("page_size", [1, 2, 9, 10, 100])
def test_pages_concatenate_to_the_full_result(
    listing: Listing, view: ViewType, order_by: list[str] | None, page_size: int
) -> None:
    store, experiment_ids = listing.store, [listing.experiment_id]
    full = store.search_runs(experiment_ids, run_view_type=view, order_by=order_by)

    pages = all_pages(
        lambda token: store.search_runs(
            experiment_ids,
            run_view_type=view,
            order_by=order_by,
            max_results=page_size,
            page_token=token,
        )
    )

    assert all(len(page) <= page_size for page in pages)
    assert [run.info.run_id for page in pages for run in page] == [r.info.run_id for r in full]
    assert not full.token
    assert len(full) == {ViewType.ACTIVE_ONLY: 9, ViewType.DELETED_ONLY: 1, ViewType.ALL: 10}[view]


def test_max_results_at_the_limit_is_accepted(listing: Listing) -> None:
    found = listing.store.search_runs([listing.experiment_id], max_results=SEARCH_MAX_RESULTS_LIMIT)

    assert len(found) == 9
    assert not found.token


@pytest.mark.parametrize("max_results", [0, -1, SEARCH_MAX_RESULTS_LIMIT + 1])
def test_max_results_out_of_bounds(listing: Listing, max_results: int) -> None:
    with pytest.raises(InvalidParameter, match="max_results"):
        listing.store.search_runs([listing.experiment_id], max_results=max_results)


def _first_token(listing: Listing) -> str:
    page = listing.store.search_runs([listing.experiment_id], max_results=2)
    assert page.token
    return page.token


def test_tampered_page_tokens_are_refused(listing: Listing) -> None:
    token = _first_token(listing)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]

    for bad in ["garbage", token[:-4], token + "AAAA", token[::-1], flipped]:
        with pytest.raises(InvalidParameter):
            listing.store.search_runs([listing.experiment_id], max_results=2, page_token=bad)


@pytest.mark.parametrize(
    ("filter_string", "order_by", "view", "with_other"),
    [
        ("metrics.m > 0", None, ViewType.ACTIVE_ONLY, False),
        (None, ["metrics.m DESC"], ViewType.ACTIVE_ONLY, False),
        (None, None, ViewType.ACTIVE_ONLY, True),
        (None, None, ViewType.ALL, False),
    ],
    ids=["filter", "order", "experiments", "view"],
)
def test_token_of_another_search_is_refused(
    listing: Listing,
    filter_string: str | None,
    order_by: list[str] | None,
    view: ViewType,
    with_other: bool,
) -> None:
    token = _first_token(listing)
    experiment_ids = [listing.experiment_id]
    if with_other:
        experiment_ids.append(listing.other_experiment_id)

    with pytest.raises(InvalidParameter):
        listing.store.search_runs(
            experiment_ids,
            filter_string=filter_string,
            run_view_type=view,
            max_results=2,
            order_by=order_by,
            page_token=token,
        )


def test_tokens_of_other_listings_are_refused(store: TrackingStore) -> None:
    experiment_id = store.create_experiment("exp")
    run_ids = [store.create_run(experiment_id).info.run_id for _ in range(3)]
    store.log_batch(run_ids[0], metrics=[Metric("h", float(i), i, i) for i in range(5)])
    foreign = [
        store.search_experiments(max_results=1).token,
        store.get_metric_history(run_ids[0], "h", max_results=2).token,
    ]
    assert store.search_runs([experiment_id], max_results=2).token

    for token in foreign:
        assert token
        with pytest.raises(InvalidParameter):
            store.search_runs([experiment_id], max_results=2, page_token=token)


@pytest.mark.parametrize("order_by", [None, ["metrics.m DESC"], ["attributes.run_name ASC"]])
@pytest.mark.parametrize("page_size", [1, 3])
def test_deleting_seen_runs_between_pages_skips_no_other_run(
    store: TrackingStore, order_by: list[str] | None, page_size: int
) -> None:
    experiment_id = store.create_experiment("paged")
    original = {_paged_run(store, experiment_id, i, BASE + 10 * i) for i in range(12)}
    seen: list[str] = []
    deleted: set[str] = set()
    token: str | None = None
    for _ in range(100):
        page = store.search_runs(
            [experiment_id], max_results=page_size, order_by=order_by, page_token=token
        )
        seen.extend(run.info.run_id for run in page)
        token = page.token
        if not token:
            break
        # Delete a run the caller has already seen, as a user tidying up while browsing would.
        store.delete_run(page[0].info.run_id)
        deleted.add(page[0].info.run_id)

    assert not token, "pagination did not end"
    assert len(seen) == len(set(seen)), "a run was returned twice"
    assert set(seen) == original, "a run that was never deleted before being seen was skipped"
    assert deleted


def test_long_filters_work_or_are_refused_cleanly(store: TrackingStore) -> None:
    # Over a thousand ORed comparisons: deeper than SQLite's default expression depth limit.
    experiment_id = store.create_experiment("long")
    run = make_run(store, experiment_id, params={"p": "x"})
    filter_string = " OR ".join(f"params.p = 'v{i}'" for i in range(1_100))
    filter_string += " OR params.p = 'x'"

    try:
        found = store.search_runs([experiment_id], filter_string=filter_string)
    except InvalidParameter:
        return  # a documented limit on filter size is fine; a database error is not
    assert [r.info.run_id for r in found] == [run.info.run_id]
