"""Run the benchmark: Trackstone vs MLflow (its own venv) vs raw sqlite3, side by side.

Usage: ``.venv/bin/python bench/run.py [--quick] [--skip-mlflow]`` (``make bench``). Each system
runs in its own fresh interpreter on a fresh SQLite file in a temporary folder; the drivers
print JSON, this script prints the table and writes ``bench/results/bench-<time>.json``.
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
from pathlib import Path
from typing import Any

from report import print_report, verdicts
from rich.console import Console
from rich.text import Text
from workload import sizes_for

BENCH_DIR = Path(__file__).resolve().parent
MLFLOW_VENV = BENCH_DIR / ".mlflow-venv"
RESULTS_DIR = BENCH_DIR / "results"
MLFLOW_REQUIREMENT = "mlflow==3.*"
_REPORT_WIDTH = 120


class DriverFailed(Exception):
    """A driver exited with an error or printed no JSON."""


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _mlflow_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def ensure_mlflow_venv(console: Console) -> Path:
    """Create ``bench/.mlflow-venv`` with MLflow 3.x unless it already works; return its python."""
    python = _venv_python(MLFLOW_VENV)
    version = _mlflow_version(python)
    if version is not None and version.startswith("3."):
        console.print(f"MLflow {version} from {MLFLOW_VENV.relative_to(BENCH_DIR.parent)}")
        return python
    with console.status(f"Installing {MLFLOW_REQUIREMENT} into {MLFLOW_VENV.name} (once)..."):
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", MLFLOW_REQUIREMENT],
            capture_output=True,
            text=True,
        )
    if install.returncode != 0:
        tail = "\n".join(install.stderr.splitlines()[-20:])
        raise DriverFailed(f"could not install {MLFLOW_REQUIREMENT}:\n{tail}")
    console.print(f"Installed MLflow {_mlflow_version(python)}")
    return python


def run_driver(
    console: Console,
    name: str,
    python: Path,
    work_dir: Path,
    quick: bool,
    ingest_only: bool = False,
) -> dict[str, Any]:
    """Run ``bench/<name>_driver.py`` in ``python`` and return the JSON it printed."""
    command = [str(python), str(BENCH_DIR / f"{name}_driver.py"), str(work_dir)]
    if quick:
        command.append("--quick")
    if ingest_only:
        command.append("--ingest-only")
    env = dict(os.environ)
    # The drivers must not touch the user's data, spool or tracking server.
    for variable in ("TRACKSTONE_TRACKING_URI", "MLFLOW_TRACKING_URI", "TRACKSTONE_DATA_DIR"):
        env.pop(variable, None)
    env.update(
        {
            "TRACKSTONE_SPOOL_DIR": str(work_dir / "spool"),
            "TRACKSTONE_FLUSH_TIMEOUT_S": "600",
        }
    )
    work_dir.mkdir(parents=True, exist_ok=True)
    label = f"{name} (ingest only)" if ingest_only else name
    start = time.perf_counter()
    with console.status(f"Running the {label} driver..."):
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work_dir)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        tail = "\n".join(done.stderr.splitlines()[-25:])
        raise DriverFailed(f"the {label} driver failed (exit {done.returncode}):\n{tail}")
    console.print(f"{label}: done in {time.perf_counter() - start:.1f} s")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def ingest_rounds(
    console: Console, results: dict[str, dict[str, Any]], work: Path, quick: bool
) -> None:
    """Measure sustained ingest again, the floor and Trackstone taking turns, and report medians.

    A single run of either moves by up to 1.6x from one minute to the next on a shared
    machine, and the full drivers run minutes apart; rounds that alternate put both under the
    same conditions. Each system's ``ingest`` becomes its median round (all rounds and the
    ratio of each pair are kept in the JSON); the full driver's own run stays as ``single``.
    """
    rounds = sizes_for(quick).ingest_rounds
    runs: dict[str, list[dict[str, Any]]] = {"floor": [], "trackstone": []}
    for index in range(rounds):
        for name in runs:
            work_dir = work / f"ingest-{name}-{index}"
            done = run_driver(console, name, Path(sys.executable), work_dir, quick, True)
            runs[name].append(done["ingest"])
    ratios = [
        ours["points_per_s"] / floor["points_per_s"]
        for ours, floor in zip(runs["trackstone"], runs["floor"], strict=True)
    ]
    for name, measured in runs.items():
        median = sorted(measured, key=lambda run: run["points_per_s"])[len(measured) // 2]
        results[name]["ingest"] = {
            **median,
            "single": results[name]["ingest"],
            "rounds": [run["points_per_s"] for run in measured],
        }
    results["trackstone"]["ingest"]["ratios_vs_floor"] = ratios


def write_results(results: dict[str, dict[str, Any]], quick: bool, results_dir: Path) -> Path:
    """Write the raw figures, sizes, machine and verdicts to ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = results_dir / f"bench-{stamp}{'-quick' if quick else ''}.json"
    document = {
        "time": stamp,
        "quick": quick,
        "sizes": sizes_for(quick).as_dict(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "results": results,
        "targets": [verdict.__dict__ for verdict in verdicts(results)],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--skip-mlflow", action="store_true", help="do not install or run MLflow")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON results go"
    )
    parser.add_argument(
        "--show", type=Path, metavar="RESULTS_JSON", help="print the report of an earlier run"
    )
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console.width = _REPORT_WIDTH  # logs and CI: do not squeeze the table into 80 columns
    if args.show is not None:
        print_report(json.loads(args.show.read_text())["results"], console)
        return 0
    results: dict[str, dict[str, Any]] = {}
    try:
        mlflow_python = None if args.skip_mlflow else ensure_mlflow_venv(console)
        with tempfile.TemporaryDirectory(prefix="trackstone-bench-") as scratch:
            work = Path(scratch)
            results["floor"] = run_driver(
                console, "floor", Path(sys.executable), work / "floor", args.quick
            )
            results["trackstone"] = run_driver(
                console, "trackstone", Path(sys.executable), work / "trackstone", args.quick
            )
            if mlflow_python is not None:
                results["mlflow"] = run_driver(
                    console, "mlflow", mlflow_python, work / "mlflow", args.quick
                )
            ingest_rounds(console, results, work, args.quick)
    except DriverFailed as error:
        console.print(Text.assemble(("bench failed: ", "red"), str(error)))
        return 1
    print_report(results, console)
    path = write_results(results, args.quick, args.results_dir)
    console.print(f"Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
