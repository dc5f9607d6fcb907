"""A separate virtualenv with the real ``mlflow`` 3.x client, for running MLflow scripts against us.

The environment is built once and reused across test sessions: ``bench/.mlflow-venv`` when the
benchmark already made one with MLflow 3.x and scikit-learn, else ``.mlflow-test-venv`` at the
repository root (created with ``python -m venv`` and ``pip install``; git ignores it). Parallel
test workers take turns through a file lock. When it cannot be built the tests are skipped,
except under CI (``CI`` set), where they fail: CI must run them.

Example:
    def test_it(mlflow_env: MlflowEnv, tmp_path: Path) -> None:
        result = mlflow_env.run_script(SCRIPTS / "runs.py", server.url, tmp_path)
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "MLFLOW_REQUIREMENT",
    "MlflowEnv",
    "MlflowUnavailable",
    "ensure_mlflow_env",
    "mlflow_env",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
# The client version the compatibility tests pin; a reused bench venv may hold another 3.x.
MLFLOW_REQUIREMENT = "mlflow==3.17.2"
EXTRA_REQUIREMENTS = ("scikit-learn",)
BENCH_VENV = REPO_ROOT / "bench" / ".mlflow-venv"
TEST_VENV = REPO_ROOT / ".mlflow-test-venv"
_INSTALL_TIMEOUT_S = 1800
_PROBE = "import mlflow, sklearn; print(mlflow.__version__)"


class MlflowUnavailable(RuntimeError):
    """The MLflow virtualenv could not be found or built."""


@dataclass(frozen=True)
class MlflowEnv:
    """A Python interpreter that can ``import mlflow`` (3.x) and ``sklearn``."""

    python: Path
    version: str

    def run_script(
        self,
        script: Path,
        tracking_uri: str,
        work_dir: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 300.0,
    ) -> Any:
        """Run ``script`` against ``tracking_uri`` in ``work_dir``; return the JSON it printed last.

        Raises:
            AssertionError: the script failed or printed no JSON (its output is in the message).
        """
        work_dir.mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            [str(self.python), str(script.resolve()), *args],
            cwd=work_dir,
            env=script_env(tracking_uri, work_dir, env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        lines = completed.stdout.strip().splitlines()
        if completed.returncode != 0 or not lines:
            raise AssertionError(
                f"{script.name} exited with {completed.returncode}\n"
                f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}"
            )
        return json.loads(lines[-1])


def script_env(
    tracking_uri: str, work_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the environment of an MLflow script: our server, no telemetry, nothing inherited."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "TRACKSTONE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "MLFLOW_TRACKING_URI": tracking_uri,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            # Fail fast instead of retrying for minutes when the server misbehaves.
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
            "TMPDIR": str(work_dir),
            "HOME": str(work_dir),
        }
    )
    env.update(extra or {})
    return env


def _python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _probe(venv: Path) -> str | None:
    """Return the MLflow version a venv holds if it is 3.x with scikit-learn, else None."""
    python = _python_of(venv)
    if not python.exists():
        return None
    completed = subprocess.run(
        [str(python), "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    version = completed.stdout.strip()
    if completed.returncode != 0 or not version.startswith("3."):
        return None
    return version


def _build(venv: Path) -> None:
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(_python_of(venv)), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [
            str(_python_of(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            MLFLOW_REQUIREMENT,
            *EXTRA_REQUIREMENTS,
        ],
    ]
    for step in steps:
        completed = subprocess.run(
            step, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT_S, check=False
        )
        if completed.returncode != 0:
            raise MlflowUnavailable(
                f"{' '.join(step[:4])} ... failed:\n{completed.stdout[-2000:]}"
                f"{completed.stderr[-2000:]}"
            )


def ensure_mlflow_env() -> MlflowEnv:
    """Return an MLflow 3.x environment, building ``.mlflow-test-venv`` if none exists yet.

    Raises:
        MlflowUnavailable: the environment could not be built (e.g. no package index).
    """
    for venv in (BENCH_VENV, TEST_VENV):
        version = _probe(venv)
        if version is not None:
            return MlflowEnv(_python_of(venv), version)
    lock_path = REPO_ROOT / ".mlflow-test-venv.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test worker may be building it right now
        version = _probe(TEST_VENV)
        if version is None:
            _build(TEST_VENV)
            version = _probe(TEST_VENV)
        if version is None:
            raise MlflowUnavailable(f"{TEST_VENV.name} was built but cannot import mlflow 3.x")
    return MlflowEnv(_python_of(TEST_VENV), version)


@pytest.fixture(scope="session")
def mlflow_env() -> Iterator[MlflowEnv]:
    """Provide the MLflow 3.x environment: skipped locally if unavailable, a failure under CI."""
    try:
        environment = ensure_mlflow_env()
    except (MlflowUnavailable, OSError, subprocess.SubprocessError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"the mlflow client tests cannot run in CI: {error}", pytrace=False)
        pytest.skip(f"mlflow 3.x not available: {error}")
    yield environment
