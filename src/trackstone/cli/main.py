"""The ``trackstone`` command: global options, sub-command groups, and error reporting."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

from trackstone import __version__
from trackstone.cli.state import CliState
from trackstone.errors import TrackstoneError

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_FAILURE = 1
EXIT_USAGE = 2

# Sub-commands by name, as "module:attribute", imported only when used: `trackstone server`
# then starts without loading the table printing and store commands of the others.
SUBCOMMANDS = {
    "db": "trackstone.cli.db:db",
    "experiments": "trackstone.cli.experiments:experiments",
    "gc": "trackstone.cli.gc:gc",
    "models": "trackstone.cli.models:models",
    "runs": "trackstone.cli.runs:runs",
    "server": "trackstone.cli.server:server",
    "sync": "trackstone.cli.sync:sync",
}


def print_error(message: str) -> None:
    """Print one red error line (the output module loads only when there is one)."""
    from trackstone.cli.output import print_error as print_red

    print_red(message)


class _Group(click.Group):
    """A group that turns every failure into one red line and an exit code, not a traceback.

    Exit codes: 0 success, 1 a failure (``TrackstoneError``, I/O error, bug), 2 bad usage.
    ``--debug`` lets the original exception through, traceback included.
    """

    debug: bool = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

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
