"""Print how near each server comes to the floor server, the ceiling of this machine.

The floor server (``floor_server.py``) does the least any server could do for a request, with
Trackstone's promise kept (an acknowledged upload is on disk). Timed with the same client as the
real servers, it bounds what any server reaches here, so ``floor / MLflow`` is the most "times
better" any server could measure on this machine. A target above that bound cannot be met by
server code; ``Trackstone / floor`` then says how much room is left.

The rows are the ones where the floor tells something: the artifact transfers through the plain
HTTP client, and the per-call latencies of MLflow's client (whose own work the floor shows:
those calls get canned answers and store nothing, so their bound is the client's, below what
any server that stores the data could reach).
"""

from __future__ import annotations

from typing import Any

from report_tables import comparison_table, number_cell, times_cell
from rich.console import Console
from server_client_report import MLFLOW_CLIENT, OWN_CLIENT
from server_client_report import ROWS as CLIENT_ROWS
from server_report import ROWS as PLAIN_ROWS
from server_report import Row, ratio

FLOOR = "floor"
PLAIN_LABELS = (
    "artifact upload, one large file",
    "artifact download, one large file",
    "artifact upload, 4 KiB files",
    "artifact download, 4 KiB files",
)
CLIENT_LABELS = (
    "create_run: p50",
    "get_run: p50",
    "log_batch sync, 10 params/5 metrics/3 tags: p50",
)


def _rows(rows: tuple[Row, ...], labels: tuple[str, ...]) -> list[Row]:
    by_label = {row.label: row for row in rows}
    return [by_label[label] for label in labels]


def _plain(row: Row, result: dict[str, Any] | None) -> float | None:
    return None if result is None else row.read(result)


def _client(row: Row, result: dict[str, Any] | None, key: str) -> float | None:
    driver = None if result is None else result["workloads"].get(key)
    return None if driver is None else row.read(driver)


def _times(row: Row, better: float | None, worse: float | None) -> float | None:
    return None if better is None or worse is None else ratio(row, better, worse)


def _verdict(
    row: Row, client: str, trackstone: float | None, mlflow: float | None, floor: float | None
) -> dict[str, Any]:
    return {
        "label": row.label,
        "client": client,
        "unit": row.unit,
        "trackstone": trackstone,
        "mlflow": mlflow,
        "floor": floor,
        "times_better": _times(row, trackstone, mlflow),
        "most_times_possible": _times(row, floor, mlflow),
        "share_of_floor": _times(row, trackstone, floor),
    }


def floor_verdicts(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return, for each floored row, the three figures and the ratios between them.

    ``share_of_floor`` is Trackstone's figure as a fraction of the floor's (1.0: no server
    could do better here); ``most_times_possible`` is the floor's ratio against MLflow.
    Empty when the floor was not measured.
    """
    floor = results.get(FLOOR)
    if floor is None:
        return []
    trackstone, mlflow = results["trackstone"], results.get("mlflow")
    verdicts = [
        _verdict(row, "plain HTTP", _plain(row, trackstone), _plain(row, mlflow), row.read(floor))
        for row in _rows(PLAIN_ROWS, PLAIN_LABELS)
    ]
    verdicts += [
        _verdict(
            row,
            "mlflow",
            _client(row, trackstone, MLFLOW_CLIENT),
            _client(row, mlflow, OWN_CLIENT),
            _client(row, floor, MLFLOW_CLIENT),
        )
        for row in _rows(CLIENT_ROWS, CLIENT_LABELS)
    ]
    return verdicts


def print_floor_report(results: dict[str, dict[str, Any]], console: Console) -> None:
    """Print the floor table (nothing if the floor was not measured)."""
    figures = ("trackstone", "mlflow", "floor")
    verdicts = [v for v in floor_verdicts(results) if any(v[k] is not None for k in figures)]
    if not verdicts:
        return
    table = comparison_table(
        "the floor: the least a server could do here (same clients; uploads flushed as "
        "Trackstone's are; mlflow-client calls answered from memory)",
        "client",
        "Trackstone",
        "MLflow",
        "floor",
        "x better",
        "most x\npossible",
        "Trackstone\n/ floor",
    )
    for verdict in verdicts:
        share = verdict["share_of_floor"]
        table.add_row(
            verdict["label"],
            verdict["unit"],
            verdict["client"],
            number_cell(verdict["trackstone"]),
            number_cell(verdict["mlflow"]),
            number_cell(verdict["floor"]),
            times_cell(verdict["times_better"]),
            times_cell(verdict["most_times_possible"]),
            "-" if share is None else f"{share:.0%}",
        )
    console.print(table)
