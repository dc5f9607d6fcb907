"""``trackstone experiments``: list, create, rename, delete and restore experiments."""

from __future__ import annotations

import click

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
    experiment_to_json,
    format_time_ms,
    print_table,
    stdout_console,
)
from trackstone.cli.state import CliState, pass_state
from trackstone.entities import Experiment, ExperimentTag

__all__ = ["experiments"]

_PAGE_SIZE = 1000


@click.group()
def experiments() -> None:
    """List, create, rename, delete and restore experiments."""


@experiments.command("list")
@click.option("--filter", "filter_string", metavar="FILTER", help="e.g. \"name LIKE 'exp-%'\".")
@click.option("--order-by", multiple=True, metavar="KEY", help="e.g. 'name ASC'; repeatable.")
@max_results_option(1000)
@view_option
@json_option
@pass_state
def list_experiments(
    state: CliState,
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    as_json: bool,
) -> None:
    """List experiments, most recently updated first."""
    found: list[Experiment] = []
    token: str | None = None
    while len(found) < max_results:
        page = state.store.search_experiments(
            view_type=VIEW_TYPES[view],
            max_results=min(_PAGE_SIZE, max_results - len(found)),
            filter_string=filter_string,
            order_by=list(order_by) or None,
            page_token=token,
        )
        found.extend(page)
        token = page.token
        if not token:
            break
    if as_json:
        echo_json([experiment_to_json(e) for e in found])
        return
    columns = ["ID", "Name", "Created", "Last update", "Artifact location"]
    if view != "active":
        columns.insert(2, "Stage")
    rows = []
    for e in found:
        row = [
            e.experiment_id,
            e.name,
            format_time_ms(e.creation_time),
            format_time_ms(e.last_update_time),
            e.artifact_location,
        ]
        if view != "active":
            row.insert(2, e.lifecycle_stage.value)
        rows.append(row)
    print_table(columns, rows, no_wrap=["ID"], empty_message="No experiments match.")


def _parse_tags(values: tuple[str, ...]) -> list[ExperimentTag]:
    tags = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--tag")
        tags.append(ExperimentTag(key, value))
    return tags


@experiments.command("create")
@click.option("--experiment-name", "-n", required=True, metavar="NAME", help="A unique name.")
@click.option(
    "--artifact-location", "-l", metavar="URI", help="Where its artifacts go (default: derived)."
)
@click.option("--tag", "-t", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@json_option
@pass_state
def create_experiment(
    state: CliState,
    experiment_name: str,
    artifact_location: str | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create an experiment and print its id."""
    experiment_id = state.store.create_experiment(
        experiment_name, artifact_location, tags=_parse_tags(tags)
    )
    if as_json:
        echo_json({"experiment_id": experiment_id, "name": experiment_name})
    else:
        stdout_console().print(
            f"Created experiment {experiment_name!r} with id {experiment_id}", markup=False
        )


@experiments.command("rename")
@experiment_selector()
@click.option("--new-name", required=True, metavar="NAME", help="The new unique name.")
@pass_state
def rename_experiment(
    state: CliState, experiment_id: str | None, experiment_name: str | None, new_name: str
) -> None:
    """Rename an active experiment."""
    experiment = find_experiment(state.store, experiment_id, experiment_name)
    state.store.rename_experiment(experiment.experiment_id, new_name)
    stdout_console().print(
        f"Renamed experiment {experiment.experiment_id} from {experiment.name!r} to {new_name!r}",
        markup=False,
    )


@experiments.command("delete")
@experiment_selector()
@pass_state
def delete_experiment(
    state: CliState, experiment_id: str | None, experiment_name: str | None
) -> None:
    """Soft-delete an experiment and its runs (restorable until `trackstone gc`)."""
    experiment = find_experiment(state.store, experiment_id, experiment_name)
    state.store.delete_experiment(experiment.experiment_id)
    stdout_console().print(
        f"Deleted experiment {experiment.experiment_id} ({experiment.name!r}); "
        "restore it with `trackstone experiments restore` or remove it with `trackstone gc`",
        markup=False,
    )


@experiments.command("restore")
@experiment_selector()
@pass_state
def restore_experiment(
    state: CliState, experiment_id: str | None, experiment_name: str | None
) -> None:
    """Restore a soft-deleted experiment and the runs deleted with it."""
    experiment = find_experiment(state.store, experiment_id, experiment_name)
    state.store.restore_experiment(experiment.experiment_id)
    stdout_console().print(
        f"Restored experiment {experiment.experiment_id} ({experiment.name!r})", markup=False
    )
