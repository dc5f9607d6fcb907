"""Benchmark the web UIs in Chromium: Trackstone's pages vs MLflow's, on the same data, SQLite.

Usage: ``.venv/bin/python bench/ui.py [--quick] [--skip-mlflow] [--repeats N] [--timeout-s S]``
(``make bench-ui``). Each server starts on a loopback port with a fresh SQLite file in a
temporary directory and gets the same runs (``ui_data.py``); then headless Debian Chromium
driven by Playwright times the runs table (10,000 and 100,000 runs: cold load, cached reload,
sort by a metric) and the chart of a 1,000,000-point metric (``ui_browser.py``), the servers
taking turns repetition by repetition.
The table prints median (min-max) and ratios; the raw figures go to
``bench/results/ui-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from run import MLFLOW_VENV, DriverFailed, ensure_mlflow_venv
from server_processes import (
    RunningServer,
    ServerFailed,
    free_port,
    mlflow_command,
    start,
    trackstone_command,
)
from server_workload import Client, RequestFailed
from ui_browser import (
    CHROMIUM,
    UiPages,
    mlflow_ui,
    trackstone_ui,
)
from ui_data import (
    BASE_TIME_MS,
    UiRun,
    generate_runs,
    write_mlflow_points,
    write_mlflow_runs,
    write_trackstone_points,
    write_trackstone_runs,
)
from ui_measure import Target, measure
from ui_report import print_report

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
_MLFLOW_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
_REPORT_WIDTH = 130
_CHART_RUN = "long-history"


@dataclass(frozen=True)
class UiSizes:
    """How much data each UI gets and how often each measurement is repeated."""

    table_runs: tuple[int, ...]  # one experiment per count
    chart_points: int
    repeats: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = UiSizes(table_runs=(10_000, 100_000), chart_points=1_000_000, repeats=5)
QUICK = UiSizes(table_runs=(100, 1_000), chart_points=20_000, repeats=2)


class DataMismatch(Exception):
    """A server does not show the data the benchmark wrote."""


@dataclass(frozen=True)
class System:
    """One UI under test: how to start its server and write into its database."""

    name: str
    command: Callable[[Path], list[str]]
    env: dict[str, str]
    database: str  # file name in the server's folder
    write_runs: Callable[[Path, str, list[UiRun]], None]
    write_points: Callable[[Path, str, int], None]
    pages: UiPages


@dataclass
class Populated:
    """What a server holds after populating: experiment ids and the long metric's run."""

    tables: dict[int, str]  # run count -> experiment id
    chart_experiment: str
    chart_run: str
    seconds: dict[str, float]


def _search_first(client: Client, experiment_id: str, order_by: str) -> str:
    answer = client.call(
        "POST",
        "/runs/search",
        {"experiment_ids": [experiment_id], "max_results": 1, "order_by": [order_by]},
    )
    runs = answer.get("runs") or []
    return str(runs[0]["info"]["run_name"]) if runs else ""


def _check_table(client: Client, experiment_id: str, runs: list[UiRun]) -> None:
    """Ask the server's API for the run its table shows first; raise if it is not the newest.

    The order by a metric is checked in the page itself (``sort_first``): asking the API for it
    first would take MLflow minutes at 100,000 runs.
    """
    found = _search_first(client, experiment_id, "attributes.start_time DESC")
    if found != runs[-1].name:
        raise DataMismatch(f"runs/search answered {found!r} first, expected {runs[-1].name!r}")


def populate(
    system: System, server: RunningServer, tables: dict[int, list[UiRun]], points: int
) -> Populated:
    """Create the experiments through the API, write their rows, check the server sees them."""
    client = Client(server.url)
    database = server.folder / system.database
    seconds: dict[str, float] = {}
    try:
        experiments = {}
        for count, runs in tables.items():
            created = client.call("POST", "/experiments/create", {"name": f"ui-{count}-runs"})
            experiments[count] = str(created["experiment_id"])
            started = time.perf_counter()
            system.write_runs(database, experiments[count], runs)
            seconds[f"write_{count}_runs_s"] = time.perf_counter() - started
            _check_table(client, experiments[count], runs)
        chart_experiment = str(
            client.call("POST", "/experiments/create", {"name": "ui-long-metric"})["experiment_id"]
        )
        run = client.call(
            "POST",
            "/runs/create",
            {"experiment_id": chart_experiment, "run_name": _CHART_RUN, "start_time": BASE_TIME_MS},
        )["run"]["info"]["run_id"]
        started = time.perf_counter()
        system.write_points(database, run, points)
        seconds["write_points_s"] = time.perf_counter() - started
        client.call(
            "POST",
            "/runs/update",
            {"run_id": run, "status": "FINISHED", "end_time": BASE_TIME_MS + points * 10},
        )
        latest = client.call("GET", "/runs/get", run_id=run)["run"]["data"]["metrics"]
        if [int(metric["step"]) for metric in latest] != [points - 1]:
            raise DataMismatch(f"the long metric's run shows latest metrics {latest}")
    finally:
        client.close()
    return Populated(experiments, chart_experiment, str(run), seconds)


def _uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def start_and_populate(
    console: Console,
    system: System,
    folder: Path,
    tables: dict[int, list[UiRun]],
    points: int,
    started: list[RunningServer],
) -> Target:
    """Start one server fresh (appended to ``started``) and write the data into it."""
    with console.status(f"Starting {system.name}..."):
        server = start(system.name, system.command(folder), folder, system.env)
    started.append(server)
    console.print(f"{system.name}: healthy after {server.seconds_to_healthy:.1f} s")
    with console.status(f"{system.name}: writing the runs and the long metric..."):
        populated = populate(system, server, tables, points)
    console.print(
        f"{system.name}: data written in {sum(populated.seconds.values()):.1f} s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in populated.seconds.items())})"
    )
    return Target(
        system.name,
        system.pages,
        server,
        populated.tables,
        populated.chart_experiment,
        populated.chart_run,
        env=system.env,
        populate_s=populated.seconds,
    )


def bench_all(
    console: Console,
    systems: list[System],
    scratch: Path,
    tables: dict[int, list[UiRun]],
    sizes: UiSizes,
    timeout_s: float,
) -> dict[str, dict[str, Any]]:
    """Start and populate every server, time their pages side by side, stop them."""
    started: list[RunningServer] = []
    targets: list[Target] = []
    try:
        for system in systems:
            targets.append(
                start_and_populate(
                    console, system, scratch / system.name, tables, sizes.chart_points, started
                )
            )
        uptime_before = _uptime()
        began = time.perf_counter()
        with console.status("Timing pages...") as status:
            results = measure(status, targets, tables, sizes.chart_points, sizes.repeats, timeout_s)
        console.print(f"pages timed in {time.perf_counter() - began:.0f} s")
        uptime_after = _uptime()
    finally:
        # A server restarted after a timeout is a new process: stop the current ones too.
        for server in [*started, *(target.server for target in targets)]:
            server.stop()
    for target in targets:
        results[target.name].update(
            {
                "command": [Path(target.server.command[0]).name, *target.server.command[1:]],
                "seconds_to_healthy": target.server.seconds_to_healthy,
                "populate_s": target.populate_s,
                "uptime_before": uptime_before,
                "uptime_after": uptime_after,
                "restarts_s": target.restarts_s,
            }
        )
    return results


def _mlflow_version() -> str | None:
    found = sorted(MLFLOW_VENV.glob("lib/python*/site-packages/mlflow-*.dist-info"))
    return found[-1].name.removeprefix("mlflow-").removesuffix(".dist-info") if found else None


def write_results(document: dict[str, Any], quick: bool, folder: Path) -> Path:
    """Write the results document as JSON; return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"ui-{document['time']}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _systems(mlflow_python: Path | None) -> list[System]:
    systems = [
        System(
            "trackstone",
            lambda folder: trackstone_command(folder, free_port(), 1),
            {},
            "trackstone.db",
            write_trackstone_runs,
            write_trackstone_points,
            trackstone_ui(),
        )
    ]
    if mlflow_python is not None:
        python = mlflow_python
        systems.append(
            System(
                "mlflow",
                lambda folder: mlflow_command(python, folder, free_port(), 1),
                _MLFLOW_ENV,
                "mlflow.db",
                write_mlflow_runs,
                write_mlflow_points,
                mlflow_ui(),
            )
        )
    return systems


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--skip-mlflow", action="store_true", help="Trackstone only")
    parser.add_argument("--repeats", type=int, help="repetitions of each measurement")
    parser.add_argument(
        "--timeout-s", type=float, default=120.0, help="give up on a page after this long"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--show", type=Path, metavar="RESULTS_JSON", help="re-print a saved run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    console = Console()
    if not console.is_terminal:
        console.width = _REPORT_WIDTH
    if args.show is not None:
        print_report(json.loads(args.show.read_text()), console)
        return 0
    if not Path(CHROMIUM).exists():
        console.print(f"{CHROMIUM} is missing: apt-get install chromium (or make browser-deps)")
        return 1
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        sizes = UiSizes(sizes.table_runs, sizes.chart_points, max(1, args.repeats))
    tables = {count: generate_runs(count, f"run{count}") for count in sizes.table_runs}
    document: dict[str, Any] = {
        "time": time.strftime("%Y%m%d-%H%M%S"),
        "quick": args.quick,
        "sizes": sizes.as_dict(),
        "timeout_s": args.timeout_s,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "uptime_at_start": _uptime(),
        },
        "results": {},
    }
    try:
        mlflow_python = None if args.skip_mlflow else ensure_mlflow_venv(console)
        document["mlflow_version"] = None if args.skip_mlflow else _mlflow_version()
        with tempfile.TemporaryDirectory(prefix="trackstone-ui-bench-") as scratch:
            document["results"] = bench_all(
                console, _systems(mlflow_python), Path(scratch), tables, sizes, args.timeout_s
            )
    except (
        DriverFailed,
        ServerFailed,
        RequestFailed,
        DataMismatch,
    ) as error:
        console.print(Text.assemble(("ui bench failed: ", "red"), str(error)))
        return 1
    document["machine"]["uptime_at_end"] = _uptime()
    print_report(document, console)
    path = write_results(document, args.quick, args.results_dir)
    console.print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
