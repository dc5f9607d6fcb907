"""Print the registry benchmark side by side: Trackstone, MLflow and how many times better."""

from __future__ import annotations

from typing import Any

from report_tables import comparison_table, met_style, number_cell, read_path, times_cell
from rich.console import Console

__all__ = ["figures", "print_report"]

SYSTEMS = ("trackstone", "mlflow")


def _search_rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    """Return (label, unit, key path, higher is better) of each search figure, in order."""
    first = next(iter(results.values()))
    rows = []
    for index, search in enumerate(first["workloads"]["searches"]):
        pages = f", {search['requests']} pages" if search["requests"] > 1 else ""
        label = f"search {search['label']} ({search['results']:,} results{pages})"
        rows.append((f"{label}: median", "ms", f"searches.{index}.p50_ms", False))
        rows.append((f"{label}: p90", "ms", f"searches.{index}.p90_ms", False))
    return rows


def _read(result: dict[str, Any], path: str) -> float:
    return read_path(result["workloads"], path.split("."))


def figures(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each row's figures and how many times better Trackstone's is (None if unknown)."""
    rows = [
        (
            "population (parallel, untimed part): versions/s",
            "v/s",
            "population.versions_per_s",
            True,
        ),
        ("create-model-version: requests/s", "req/s", "create_version.requests_per_s", True),
        ("create-model-version: p50", "ms", "create_version.p50_ms", False),
        ("create-model-version: p99", "ms", "create_version.p99_ms", False),
        *_search_rows(results),
    ]
    table = []
    for label, unit, path, higher_is_better in rows:
        values = {name: _read(results[name], path) for name in SYSTEMS if name in results}
        times = None
        if len(values) == len(SYSTEMS):
            better, worse = (
                (values["trackstone"], values["mlflow"])
                if higher_is_better
                else (values["mlflow"], values["trackstone"])
            )
            times = better / worse if worse > 0 else None
        table.append({"label": label, "unit": unit, **values, "times_better": times})
    return table


def print_report(results: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the side-by-side table."""
    table = comparison_table(
        "model registry: trackstone server vs mlflow server (SQLite, one client)",
        "Trackstone",
        "MLflow",
        "x better",
    )
    for row in figures(results):
        times = row["times_better"]
        style = met_style(None if times is None else times >= 1)
        table.add_row(
            row["label"],
            row["unit"],
            number_cell(row.get("trackstone")),
            number_cell(row.get("mlflow")),
            times_cell(times, style),
        )
    console.print(table)
