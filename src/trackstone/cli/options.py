"""Click options shared by several commands, and the experiment lookup they feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from trackstone.entities import Experiment, ViewType
from trackstone.errors import NotFound
from trackstone.store.base import TrackingStore

__all__ = [
    "VIEW_TYPES",
    "experiment_selector",
    "find_experiment",
    "json_option",
    "max_results_option",
    "view_option",
]

F = TypeVar("F", bound=Callable[..., Any])

VIEW_TYPES = {
    "active": ViewType.ACTIVE_ONLY,
    "deleted": ViewType.DELETED_ONLY,
    "all": ViewType.ALL,
}


def view_option(func: F) -> F:
    """Add ``--view active|deleted|all``."""
    return click.option(
        "--view",
        type=click.Choice(list(VIEW_TYPES)),
        default="active",
        show_default=True,
        help="Which lifecycle stages to include.",
    )(func)


def json_option(func: F) -> F:
    """Add ``--json`` (machine-readable output)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def max_results_option(default: int) -> Callable[[F], F]:
    """Add ``--max-results N`` with the given default."""

    def decorate(func: F) -> F:
        return click.option(
            "--max-results",
            type=click.IntRange(min=1),
            default=default,
            show_default=True,
            help="Return at most this many results.",
        )(func)

    return decorate


def experiment_selector(multiple: bool = False) -> Callable[[F], F]:
    """Add ``--experiment-id/-x`` and ``--experiment-name/-n`` (repeatable when ``multiple``)."""
    many = " Repeatable." if multiple else ""

    def decorate(func: F) -> F:
        func = click.option(
            "--experiment-name",
            "-n",
            metavar="NAME",
            multiple=multiple,
            help="The experiment's name." + many,
        )(func)
        return click.option(
            "--experiment-id",
            "-x",
            metavar="ID",
            multiple=multiple,
            help="The experiment's id." + many,
        )(func)

    return decorate


def find_experiment(
    store: TrackingStore, experiment_id: str | None, experiment_name: str | None
) -> Experiment:
    """Return the experiment named by exactly one of id or name.

    Raises:
        click.UsageError: both or neither were given.
        NotFound: no such experiment.
    """
    if (experiment_id is None) == (experiment_name is None):
        raise click.UsageError("give exactly one of --experiment-id or --experiment-name")
    if experiment_id is not None:
        return store.get_experiment(experiment_id)
    assert experiment_name is not None
    experiment = store.get_experiment_by_name(experiment_name)
    if experiment is None:
        raise NotFound(f"experiment {experiment_name!r} does not exist")
    return experiment
