"""``trackstone gc``: permanently remove soft-deleted runs and experiments with their files."""

from __future__ import annotations

import re

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from trackstone.cli.options import json_option
from trackstone.cli.output import echo_json, stdout_console
from trackstone.cli.state import CliState, pass_state
from trackstone.client.gc import GcReport, collect_garbage

__all__ = ["gc", "parse_duration_ms"]

_UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}
_DURATION = re.compile(r"(\d+)([dhms])")


def parse_duration_ms(text: str) -> int:
    """Parse ``30d``, ``12h``, ``90m``, ``45s`` or combinations like ``1d12h`` into ms.

    Raises:
        ValueError: the text is not such a duration.
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"expected a duration like 30d, 12h, 90m or 1d12h, got {text!r}")
    units = [unit for _, unit in parts]
    if len(set(units)) != len(units):
        raise ValueError(f"each unit may appear once in a duration, got {text!r}")
    return sum(int(number) * _UNIT_MS[unit] for number, unit in parts)


class _Duration(click.ParamType[int]):
    name = "DURATION"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration_ms(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [item for value in values for item in value.split(",") if item.strip()]


def _print_report(report: GcReport) -> None:
    console = stdout_console()
    verb = "Would remove" if report.dry_run else "Removed"
    if report.is_empty:
        console.print("Nothing to collect: no deleted runs or experiments match.")
        return
    console.print(
        f"{verb} {len(report.run_ids)} run(s) and {len(report.experiment_ids)} experiment(s)",
        markup=False,
    )
    for run_id in report.run_ids:
        console.print(f"  run {run_id}", markup=False)
    for experiment_id in report.experiment_ids:
        console.print(f"  experiment {experiment_id}", markup=False)
    if report.kept_run_ids:
        console.print(
            f"Kept {len(report.kept_run_ids)} deleted run(s) that registered model versions "
            f"still need (see 'trackstone models'); they are collected once no version does:",
            markup=False,
        )
        for run_id in report.kept_run_ids:
            console.print(f"  run {run_id}", markup=False)
        for experiment_id in report.kept_experiment_ids:
            console.print(f"  experiment {experiment_id} (holds a kept run)", markup=False)


@click.command("gc")
@click.option(
    "--older-than",
    type=_Duration(),
    metavar="DURATION",
    help="Only what was deleted at least this long ago: 30d, 12h, 90m, 1d12h.",
)
@click.option(
    "--run-ids",
    multiple=True,
    metavar="ID[,ID...]",
    help="Only these deleted runs (comma-separated or repeated).",
)
@click.option(
    "--experiment-ids",
    multiple=True,
    metavar="ID[,ID...]",
    help="Only these deleted experiments, with all their runs.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; remove nothing.")
@json_option
@pass_state
def gc(
    state: CliState,
    older_than: int | None,
    run_ids: tuple[str, ...],
    experiment_ids: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Delete soft-deleted runs and experiments for good.

    Artifacts go first, then rows.
    Without --run-ids or --experiment-ids every deleted run and experiment is collected.
    Names of collected experiments can be used again.
    Deleted runs that a registered model version still needs are kept (with their
    experiment) until no version needs them.
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = stdout_console()
    with Progress(*columns, transient=True, disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("Collecting", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = collect_garbage(
            state.store,
            older_than_ms=older_than,
            run_ids=_split_ids(run_ids) or None,
            experiment_ids=_split_ids(experiment_ids) or None,
            dry_run=dry_run,
            progress=advance,
        )
    if as_json:
        echo_json(
            {
                "dry_run": report.dry_run,
                "run_ids": list(report.run_ids),
                "experiment_ids": list(report.experiment_ids),
                "kept_run_ids": list(report.kept_run_ids),
                "kept_experiment_ids": list(report.kept_experiment_ids),
            }
        )
    else:
        _print_report(report)
