"""``trackstone sync``: ship records that killed or offline processes left in the spool."""

from __future__ import annotations

import click

from trackstone.cli.options import json_option
from trackstone.cli.output import echo_json, stdout_console
from trackstone.cli.state import CliState, pass_state

__all__ = ["sync"]


@click.command("sync")
@json_option
@pass_state
def sync(state: CliState, as_json: bool) -> None:
    """Store every spooled record that has not reached the tracking store yet."""
    from trackstone.client.sync import sync_spools

    result = sync_spools(state.settings)
    if as_json:
        echo_json(result)
    else:
        stdout_console().print(f"Synced: {result}", markup=False)
