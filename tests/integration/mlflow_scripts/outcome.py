"""What the MLflow scripts share: catching an MLflow error's code and printing the results."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from mlflow.exceptions import MlflowException


def error_code_of(call: Callable[[], object]) -> str:
    """Run ``call``; return the error_code of the MlflowException it raised, or "no error"."""
    try:
        call()
    except MlflowException as error:
        return str(error.error_code)
    return "no error"


def emit(results: dict[str, Any]) -> None:
    """Print the results as one JSON line, the last thing the script writes to stdout."""
    sys.stdout.write(json.dumps(results, sort_keys=True, default=str) + "\n")
