"""Terminal output for the CLI: rich tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trackstone.entities import Experiment, Run

__all__ = [
    "echo_json",
    "experiment_to_json",
    "format_duration_ms",
    "format_time_ms",
    "print_error",
    "print_table",
    "run_to_json",
    "stdout_console",
    "to_jsonable",
]


# Piped output has no terminal width; rich would assume 80 columns and squeeze tables.
_PIPE_WIDTH = 200


def stdout_console() -> Console:
    """Return a console writing to the current ``sys.stdout`` (so test runners capture it)."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = _PIPE_WIDTH
    return console


def _stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """Print ``message`` as one red line on stderr (never wrapped, never markup-interpreted)."""
    line = " ".join(message.split())
    _stderr_console().print(f"Error: {line}", style="bold red", markup=False, soft_wrap=True)


def to_jsonable(value: Any) -> Any:
    """Turn entities, enums and non-finite floats into plain JSON values.

    NaN and infinities become the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` (the
    protobuf JSON mapping, which MLflow's REST API uses), so that strict parsers accept them.
    """
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    return value


def experiment_to_json(experiment: Experiment) -> dict[str, Any]:
    """Return an experiment as a JSON object."""
    result: dict[str, Any] = to_jsonable(experiment)
    return result


def run_to_json(run: Run) -> dict[str, Any]:
    """Return a run as a JSON object: ``info``, ``data`` (metrics, params, tags), ``inputs``."""
    return {
        "info": to_jsonable(run.info),
        "data": {
            "metrics": to_jsonable(run.data.metrics),
            "latest_metrics": to_jsonable(run.data.latest_metrics),
            "params": dict(run.data.params),
            "tags": dict(run.data.tags),
        },
        "inputs": to_jsonable(run.inputs),
    }


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    click.echo(json.dumps(to_jsonable(value), indent=2, sort_keys=False, allow_nan=False))


def format_time_ms(timestamp_ms: int | None) -> str:
    """Format epoch milliseconds as local ``YYYY-MM-DD HH:MM:SS`` (empty when unknown)."""
    if timestamp_ms is None:
        return ""
    return datetime.fromtimestamp(timestamp_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_duration_ms(start_ms: int | None, end_ms: int | None) -> str:
    """Format the span between two instants as ``1h02m03s`` / ``4.2s`` (empty when open)."""
    if start_ms is None or end_ms is None:
        return ""
    seconds = max(0, end_ms - start_ms) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s"


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    no_wrap: Sequence[str] = (),
    empty_message: str = "Nothing found.",
) -> None:
    """Print a rich table (or ``empty_message``); ``no_wrap`` columns (ids) are never folded."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, no_wrap=column in no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = stdout_console()
    if rows:
        console.print(table)
    else:
        console.print(empty_message, markup=False)
