"""The ``trackstone`` command: global options, sub-command groups, and error reporting."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

from trackstone import __version__
from trackstone.cli.db import db
from trackstone.cli.experiments import experiments
from trackstone.cli.gc import gc
from trackstone.cli.models import models
from trackstone.cli.output import print_error
from trackstone.cli.runs import runs
from trackstone.cli.server import server
from trackstone.cli.state import CliState
from trackstone.cli.sync import sync
from trackstone.errors import TrackstoneError

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_FAILURE = 1
EXIT_USAGE = 2


class _Group(click.Group):
    """A group that turns every failure into one red line and an exit code, not a traceback.

    Exit codes: 0 success, 1 a failure (``TrackstoneError``, I/O error, bug), 2 bad usage.
    ``--debug`` lets the original exception through, traceback included.
    """

    debug: bool = False

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        self.debug = False
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = ""
            if error.ctx is not None:
                hint = f" (see '{error.ctx.command_path} --help')"
            print_error(error.format_message() + hint)
            sys.exit(EXIT_USAGE)
        except click.ClickException as error:
            print_error(error.format_message())
            sys.exit(error.exit_code)
        except (click.Abort, KeyboardInterrupt):
            print_error("aborted")
            sys.exit(EXIT_FAILURE)
        except TrackstoneError as error:
            if self.debug:
                raise
            print_error(error.message)
            sys.exit(EXIT_FAILURE)
        except OSError as error:
            if self.debug:
                raise
            print_error(str(error))
            sys.exit(EXIT_FAILURE)
        except Exception as error:
            if self.debug:
                raise
            logger.debug("unexpected failure", exc_info=True)
            print_error(
                f"internal error: {type(error).__name__}: {error} "
                "(run again with --debug for the traceback)"
            )
            sys.exit(EXIT_FAILURE)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="Store to use: sqlite:///path.db, postgresql://... or a data folder. "
    "Default: TRACKSTONE_TRACKING_URI, else ./trackstone-data/.",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="trackstone")
@click.pass_context
def main(ctx: click.Context, tracking_uri: str | None, debug: bool) -> None:
    """Trackstone: fast, durable experiment tracking that speaks MLflow's API."""
    if isinstance(ctx.command, _Group):
        ctx.command.debug = debug
    state = CliState(tracking_uri=tracking_uri, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


main.add_command(experiments)
main.add_command(runs)
main.add_command(models)
main.add_command(gc)
main.add_command(db)
main.add_command(sync)
main.add_command(server)
