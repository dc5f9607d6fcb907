"""Builders and readers for tracking-store tests: make runs with data, read every page."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from typing import TypeVar

from trackstone.entities import (
    Metric,
    PagedList,
    Param,
    Run,
    RunTag,
    ViewType,
)
from trackstone.store.base import TrackingStore

__all__ = [
    "all_history",
    "all_pages",
    "float_bits",
    "make_run",
    "search_all_runs",
]

T = TypeVar("T")

_MAX_PAGES = 10_000


def float_bits(value: float) -> bytes:
    """Return the IEEE-754 bytes of ``value``: tells -0.0 from 0.0 and keeps NaN comparable."""
    if math.isnan(value):
        return b"nan"
    return struct.pack(">d", value)


def make_run(
    store: TrackingStore,
    experiment_id: str,
    *,
    run_name: str | None = None,
    start_time: int | None = None,
    user_id: str = "tester",
    metrics: Sequence[Metric] = (),
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
) -> Run:
    """Create a run and log ``metrics``, ``params`` and ``tags`` to it; return the stored run."""
    run = store.create_run(experiment_id, user_id=user_id, start_time=start_time, run_name=run_name)
    param_list = [Param(k, v) for k, v in (params or {}).items()]
    tag_list = [RunTag(k, v) for k, v in (tags or {}).items()]
    if metrics or param_list or tag_list:
        store.log_batch(run.info.run_id, metrics=metrics, params=param_list, tags=tag_list)
    return store.get_run(run.info.run_id)


def all_pages(fetch: Callable[[str | None], PagedList[T]]) -> list[list[T]]:
    """Follow page tokens from the first page to the last; return the pages."""
    pages: list[list[T]] = []
    token: str | None = None
    for _ in range(_MAX_PAGES):
        page = fetch(token)
        pages.append(list(page))
        token = page.token
        if not token:
            return pages
    raise AssertionError(f"page tokens did not end after {_MAX_PAGES} pages")


def all_history(
    store: TrackingStore, run_id: str, key: str, page_size: int | None = None
) -> list[Metric]:
    """Return every point of a metric, following page tokens."""
    pages = all_pages(lambda token: store.get_metric_history(run_id, key, page_size, token))
    return [point for page in pages for point in page]


def search_all_runs(
    store: TrackingStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    view: ViewType = ViewType.ACTIVE_ONLY,
    page_size: int = 1000,
) -> list[Run]:
    """Return every run a search matches, in order, following page tokens."""
    pages = all_pages(
        lambda token: store.search_runs(
            experiment_ids,
            filter_string=filter_string,
            run_view_type=view,
            max_results=page_size,
            order_by=order_by,
            page_token=token,
        )
    )
    return [run for page in pages for run in page]
