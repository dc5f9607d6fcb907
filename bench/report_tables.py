"""What the server and registry report tables share: their columns, figure and ratio cells."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.table import Table


def comparison_table(title: str, *figure_headers: str) -> Table:
    """Return a table of a measure and unit column (left) then ``figure_headers`` (right)."""
    table = Table(title=title)
    table.add_column("measure", justify="left")
    table.add_column("unit", justify="left")
    for header in figure_headers:
        table.add_column(header, justify="right")
    return table


def read_path(figures: Any, keys: Iterable[str]) -> float:
    """Return the figure at ``keys`` in nested results (a digit key indexes a list)."""
    for key in keys:
        figures = figures[int(key)] if isinstance(figures, list) else figures[key]
    return float(figures)


def format_number(value: float) -> str:
    """Return a figure with as many digits as its size needs."""
    if value == int(value) and abs(value) < 100:
        return str(int(value))
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def number_cell(value: float | None) -> str:
    """Return a figure's cell ("-" when it is missing)."""
    return "-" if value is None else format_number(value)


def met_style(met: bool | None) -> str:
    """Return the style of a judged cell: green if met, red if not, none if not judged."""
    return "" if met is None else ("green" if met else "red")


def times_cell(times: float | None, style: str = "") -> str:
    """Return a "times better" cell, in ``style`` if any ("-" when undefined)."""
    if times is None:
        return "-"
    return f"[{style}]{times:.1f}x[/]" if style else f"{times:.1f}x"
