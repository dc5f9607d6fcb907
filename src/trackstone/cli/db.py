"""``trackstone db``: apply and inspect schema migrations of a SQL tracking store."""

from __future__ import annotations

import click

from trackstone.cli.options import json_option
from trackstone.cli.output import echo_json, stdout_console
from trackstone.cli.state import CliState, pass_state

__all__ = ["db"]


@click.group()
def db() -> None:
    """Apply and inspect schema migrations of a SQL store."""


@db.command("upgrade")
@json_option
@pass_state
def upgrade_database(state: CliState, as_json: bool) -> None:
    """Apply pending migrations to the tracking database."""
    from trackstone.store.sql.migrate import current_revision, upgrade

    uri = state.settings.tracking_uri
    before = current_revision(uri)
    after = upgrade(uri)
    if as_json:
        echo_json({"from_revision": before, "to_revision": after})
    elif before == after:
        stdout_console().print(f"Already at the latest revision {after}", markup=False)
    else:
        stdout_console().print(f"Upgraded from {before or 'an empty database'} to {after}")


@db.command("current")
@json_option
@pass_state
def current_database(state: CliState, as_json: bool) -> None:
    """Show the schema revision of the tracking database and whether it is up to date."""
    from trackstone.store.sql.migrate import current_revision, head_revision

    current = current_revision(state.settings.tracking_uri)
    head = head_revision()
    if as_json:
        echo_json({"current": current, "head": head, "up_to_date": current == head})
        return
    status = "up to date" if current == head else "needs `trackstone db upgrade`"
    stdout_console().print(f"{current or 'none'} (head {head}): {status}", markup=False)
