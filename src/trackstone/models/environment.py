"""Environment files of a model: ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml``.

Written in MLflow's layout so that its tools can rebuild the environment: the requirements
pin the flavor's framework at the version that saved the model (local version labels such as
``+cpu`` dropped, since package indexes do not serve them) plus numpy.
"""

from __future__ import annotations

import importlib
import platform
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

__all__ = [
    "CONDA_FILE_NAME",
    "PYTHON_ENV_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "pinned",
    "write_environment",
]

REQUIREMENTS_FILE_NAME = "requirements.txt"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
CONDA_FILE_NAME = "conda.yaml"
_LOCAL_LABEL = re.compile(r"\+.*$")


def _installed_version(module: str, distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        pass
    try:
        return str(importlib.import_module(module).__version__)
    except (ImportError, AttributeError):
        return None


def pinned(distribution: str, module: str | None = None) -> str:
    """Return ``distribution==<installed version>`` (the bare name if it is not installed).

    ``module`` is the import name when it differs (``sklearn`` for ``scikit-learn``); its
    ``__version__`` is used when the distribution has another name here (``xgboost-cpu``).

    Example:
        >>> pinned("numpy")  # doctest: +SKIP
        'numpy==2.1.0'
    """
    version = _installed_version(module or distribution, distribution)
    if version is None:
        return distribution
    return f"{distribution}=={_LOCAL_LABEL.sub('', version)}"


def _build_tool(name: str) -> str:
    try:
        return f"{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return name


def write_environment(model_dir: Path, requirements: Sequence[str]) -> None:
    """Write the three environment files of a model directory."""
    import yaml

    root = Path(model_dir)
    python_version = platform.python_version()
    lines = list(dict.fromkeys(requirements))  # keep order, drop repeats
    (root / REQUIREMENTS_FILE_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    python_env = {
        "python": python_version,
        "build_dependencies": [_build_tool("pip"), _build_tool("setuptools"), "wheel"],
        "dependencies": [f"-r {REQUIREMENTS_FILE_NAME}"],
    }
    with (root / PYTHON_ENV_FILE_NAME).open("w", encoding="utf-8") as stream:
        yaml.safe_dump(python_env, stream, default_flow_style=False, sort_keys=False)
    conda = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python_version}", "pip", {"pip": lines}],
        "name": "model-env",
    }
    with (root / CONDA_FILE_NAME).open("w", encoding="utf-8") as stream:
        yaml.safe_dump(conda, stream, default_flow_style=False, sort_keys=False)
