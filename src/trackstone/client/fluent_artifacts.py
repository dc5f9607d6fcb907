"""The fluent artifact and dataset functions: files, text, dicts, figures, images, tables, inputs.

They act on the active run (starting one if there is none), like the rest of ``fluent``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackstone.client.client import warn_unsupported
from trackstone.client.fluent import current_run_id, get_client
from trackstone.entities import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag

if TYPE_CHECKING:
    from trackstone.data.dataset import TrackedDataset

__all__ = [
    "get_artifact_uri",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_table",
    "log_text",
]


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """Return the URI of the active run's artifacts, or of one artifact in them."""
    root = get_client().get_artifact_uri(current_run_id())
    if not artifact_path:
        return root
    return posixpath.join(root, artifact_path.lstrip("/"))


def log_artifact(
    local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local file into the active run's artifacts."""
    get_client().log_artifact(current_run_id(run_id), local_path, artifact_path)


def log_artifacts(
    local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local folder tree into the active run's artifacts."""
    get_client().log_artifacts(current_run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Write text to an artifact file."""
    get_client().log_text(current_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Write a dict as JSON, or YAML for ``.yaml``/``.yml`` files."""
    get_client().log_dict(current_run_id(run_id), dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Mapping[str, Any] | None = None
) -> None:
    """Save a matplotlib figure as an artifact."""
    get_client().log_figure(current_run_id(), figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
) -> None:
    """Save a numpy array or PIL image, at ``artifact_file`` or under ``key`` and ``step``."""
    get_client().log_image(
        current_run_id(), image, artifact_file, key, step, timestamp, synchronous
    )


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Write (or append to) a JSON table artifact from a dict of columns or a DataFrame."""
    get_client().log_table(current_run_id(run_id), data, artifact_file)


def log_input(
    dataset: TrackedDataset | Dataset | None = None,
    context: str | None = None,
    tags: Mapping[str, str] | None = None,
    model: Any = None,
) -> None:
    """Record that the active run used ``dataset`` (from ``trackstone.data``), e.g. for training.

    ``model`` (MLflow 3's logged-model inputs) is accepted but not stored yet.
    """
    warn_unsupported(model=model)
    if dataset is None:
        return
    entity = dataset if isinstance(dataset, Dataset) else dataset.to_dataset_entity()
    input_tags = [InputTag(str(key), str(value)) for key, value in (tags or {}).items()]
    if context is not None:
        input_tags.append(InputTag(DATASET_CONTEXT_TAG, context))
    get_client().log_inputs(current_run_id(), [DatasetInput(entity, tuple(input_tags))])
