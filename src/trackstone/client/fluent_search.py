"""The fluent search functions: runs (as a DataFrame or a list) and experiments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

from trackstone.client.fluent import current_experiment_id, get_client
from trackstone.entities import Experiment, PagedList, Run, ViewType
from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    import pandas

__all__ = ["search_experiments", "search_runs"]

SEARCH_MAX_RESULTS_PANDAS = 100_000
_SEARCH_PAGE_SIZE = 50_000


def search_experiments(
    view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Return the experiments matching the filter (all of them when max_results is None)."""
    return list(get_client().search_experiments(view_type, max_results, filter_string, order_by))


def _experiment_ids_for(
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all_experiments: bool,
) -> list[str]:
    client = get_client()
    ids = [str(experiment_id) for experiment_id in experiment_ids or ()]
    for name in experiment_names or ():
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            ids.append(experiment.experiment_id)
    if experiment_ids is None and experiment_names is None:
        if search_all_experiments:
            ids = [e.experiment_id for e in client.search_experiments(ViewType.ACTIVE_ONLY)]
        else:
            ids = [current_experiment_id()]
    return ids


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = ...,
    filter_string: str = ...,
    run_view_type: ViewType | int | str = ...,
    max_results: int = ...,
    order_by: Sequence[str] | None = ...,
    output_format: Literal["pandas"] = ...,
    search_all_experiments: bool = ...,
    experiment_names: Sequence[str] | None = ...,
) -> pandas.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = ...,
    filter_string: str = ...,
    run_view_type: ViewType | int | str = ...,
    max_results: int = ...,
    order_by: Sequence[str] | None = ...,
    *,
    output_format: Literal["list"],
    search_all_experiments: bool = ...,
    experiment_names: Sequence[str] | None = ...,
) -> list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_PANDAS,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pandas.DataFrame | list[Run]:
    """Search runs, by default in the active experiment.

    Args:
        experiment_ids / experiment_names: where to search (names that do not exist are
            skipped); with neither, the active experiment, or every active experiment when
            ``search_all_experiments`` is True.
        filter_string: a filter in the search language, e.g. ``metrics.loss < 0.2``.
        run_view_type: ACTIVE_ONLY, DELETED_ONLY or ALL.
        max_results: the most runs to return.
        order_by: e.g. ``["metrics.loss ASC"]``.
        output_format: ``"pandas"`` for a DataFrame with MLflow's column names, ``"list"``
            for ``Run`` objects.

    Example:
        >>> trackstone.search_runs(filter_string="params.lr = '0.1'")  # doctest: +SKIP
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameter(f"output_format: must be 'pandas' or 'list', got {output_format!r}")
    if isinstance(experiment_ids, str):
        experiment_ids = [experiment_ids]
    ids = _experiment_ids_for(experiment_ids, experiment_names, search_all_experiments)
    runs: list[Run] = []
    token: str | None = None
    client = get_client()
    while ids and len(runs) < max_results:
        page: PagedList[Run] = client.search_runs(
            ids,
            filter_string,
            run_view_type,
            min(max_results - len(runs), _SEARCH_PAGE_SIZE),
            order_by,
            token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            break
    if output_format == "list":
        return runs
    from trackstone.client.frames import runs_to_frame

    return runs_to_frame(runs)
