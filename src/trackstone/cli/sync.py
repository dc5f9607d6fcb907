"""``trackstone sync``: ship records that killed or offline processes left in the spool."""

from __future__ import annotations

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from trackstone.cli.options import json_option
from trackstone.cli.output import echo_json, print_error, stdout_console
from trackstone.cli.state import CliState, pass_state

__all__ = ["sync"]


@click.command("sync")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="How long to keep retrying an unavailable store (default: the flush timeout).",
)
@json_option
@pass_state
def sync(state: CliState, timeout_s: float | None, as_json: bool) -> None:
    """Ship spooled records that never reached the store.

    Those are records of processes that died or lost the store before shipping them.
    Spools of running processes are left alone. Exits with 1 if some records could not be
    stored yet (they stay in the spool for the next sync).
    """
    from trackstone.client.sync import sync_spools

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    console = stdout_console()
    with Progress(*columns, transient=True, disable=as_json or not console.is_terminal) as bar:
        task = bar.add_task("Syncing", total=None)
        report = sync_spools(
            state.settings,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            timeout_s=timeout_s,
        )
    if as_json:
        echo_json(report)
    elif report.spools_found == 0:
        console.print(f"Nothing to sync in {state.settings.spool_dir}", markup=False)
    else:
        console.print(
            f"Synced {report.spools_synced} spool(s), {report.records_sent} record(s) stored; "
            f"{report.spools_live} in use by running processes, {report.spools_left} left",
            markup=False,
        )
    if report.records_rejected:
        print_error(f"{report.records_rejected} record(s) were refused by the store (see log)")
    if not report.ok:
        for line in report.errors:
            print_error(line)
        click.get_current_context().exit(1)
