"""``trackstone runs``: list, describe, delete and restore runs."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from trackstone.cli.options import (
    VIEW_TYPES,
    experiment_selector,
    find_experiment,
    json_option,
    max_results_option,
    view_option,
)
from trackstone.cli.output import (
    echo_json,
    format_duration_ms,
    format_time_ms,
    print_table,
    run_to_json,
    stdout_console,
)
from trackstone.cli.state import CliState, pass_state
from trackstone.entities import Experiment, Run, ViewType
from trackstone.store.base import TrackingStore

__all__ = ["runs"]

_PAGE_SIZE = 1000
_METRICS_SHOWN = 3


@click.group()
def runs() -> None:
    """List, describe, delete and restore runs."""


def _experiments(
    store: TrackingStore, ids: tuple[str, ...], names: tuple[str, ...], view: ViewType
) -> dict[str, Experiment]:
    chosen = [find_experiment(store, experiment_id, None) for experiment_id in ids]
    chosen += [find_experiment(store, None, name) for name in names]
    if chosen:
        return {e.experiment_id: e for e in chosen}
    # No experiment named: search them all (deleted ones too when deleted runs are wanted).
    token: str | None = None
    while True:
        page = store.search_experiments(
            view_type=ViewType.ALL if view is not ViewType.ACTIVE_ONLY else view,
            max_results=_PAGE_SIZE,
            page_token=token,
        )
        chosen.extend(page)
        token = page.token
        if not token:
            return {e.experiment_id: e for e in chosen}


def _search(
    store: TrackingStore,
    experiment_ids: list[str],
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    view: ViewType,
) -> list[Run]:
    found: list[Run] = []
    token: str | None = None
    while experiment_ids and len(found) < max_results:
        page = store.search_runs(
            experiment_ids,
            filter_string=filter_string,
            run_view_type=view,
            max_results=min(_PAGE_SIZE, max_results - len(found)),
            order_by=list(order_by) or None,
            page_token=token,
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def _metrics_summary(run: Run) -> str:
    items = sorted(run.data.metrics.items())
    shown = ", ".join(f"{key}={value:.4g}" for key, value in items[:_METRICS_SHOWN])
    if len(items) > _METRICS_SHOWN:
        shown += f", … (+{len(items) - _METRICS_SHOWN})"
    return shown


@runs.command("list")
@experiment_selector(multiple=True)
@click.option(
    "--filter", "filter_string", metavar="FILTER", help='e.g. "metrics.loss < 0.1 OR ...".'
)
@click.option(
    "--order-by", multiple=True, metavar="KEY", help="e.g. 'metrics.loss ASC'; repeatable."
)
@max_results_option(100)
@view_option
@json_option
@pass_state
def list_runs(
    state: CliState,
    experiment_id: tuple[str, ...],
    experiment_name: tuple[str, ...],
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    as_json: bool,
) -> None:
    """List runs (of every experiment unless some are named), newest first."""
    view_type = VIEW_TYPES[view]
    store = state.store
    experiments = _experiments(store, experiment_id, experiment_name, view_type)
    found = _search(store, list(experiments), filter_string, order_by, max_results, view_type)
    if as_json:
        echo_json([run_to_json(run) for run in found])
        return
    columns = ["Run ID", "Name", "Experiment", "Status", "Started", "Duration", "Metrics"]
    if view != "active":
        columns.insert(4, "Stage")
    rows = []
    for run in found:
        info = run.info
        row = [
            info.run_id,
            info.run_name,
            experiments[info.experiment_id].name,
            info.status.value,
            format_time_ms(info.start_time),
            format_duration_ms(info.start_time, info.end_time),
            _metrics_summary(run),
        ]
        if view != "active":
            row.insert(4, info.lifecycle_stage.value)
        rows.append(row)
    print_table(columns, rows, no_wrap=["Run ID"], empty_message="No runs match.")


def _key_value_table(title: str, items: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("Key", no_wrap=True)
    table.add_column("Value", overflow="fold")
    for key, value in sorted(items.items()):
        table.add_row(Text(key), Text(value))
    return table


@runs.command("describe")
@click.argument("run_id")
@json_option
@pass_state
def describe_run(state: CliState, run_id: str, as_json: bool) -> None:
    """Show one run: its attributes, params, latest metrics and tags."""
    run = state.store.get_run(run_id)
    if as_json:
        echo_json(run_to_json(run))
        return
    info = run.info
    attributes = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status.value,
        "lifecycle_stage": info.lifecycle_stage.value,
        "user_id": info.user_id,
        "start_time": format_time_ms(info.start_time),
        "end_time": format_time_ms(info.end_time),
        "duration": format_duration_ms(info.start_time, info.end_time),
        "artifact_uri": info.artifact_uri,
    }
    console = stdout_console()
    console.print(_key_value_table("Run", attributes))
    metrics = {m.key: f"{m.value:.6g} (step {m.step})" for m in run.data.latest_metrics}
    for title, items in (
        ("Params", run.data.params),
        ("Metrics", metrics),
        ("Tags", run.data.tags),
    ):
        if items:
            console.print(_key_value_table(title, items))
    if run.inputs.dataset_inputs:
        names = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
        console.print(_key_value_table("Datasets (name: digest)", names))


@runs.command("delete")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID...")
@pass_state
def delete_runs(state: CliState, run_ids: tuple[str, ...]) -> None:
    """Soft-delete runs (restorable until `trackstone gc`)."""
    for run_id in run_ids:
        state.store.delete_run(run_id)
        stdout_console().print(f"Deleted run {run_id}", markup=False)


@runs.command("restore")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID...")
@pass_state
def restore_runs(state: CliState, run_ids: tuple[str, ...]) -> None:
    """Restore soft-deleted runs."""
    for run_id in run_ids:
        state.store.restore_run(run_id)
        stdout_console().print(f"Restored run {run_id}", markup=False)
