"""Log a model to a run: save it locally, upload it as the run's artifacts, register it if asked.

Like MLflow, logging with no active run starts one (through the fluent API). The run gets the
``mlflow.log-model.history`` tag MLflow's UI reads to list a run's models, and the model is
addressed as ``runs:/<run_id>/<name>``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from trackstone.entities.validation import MAX_TAG_VALUE_LENGTH
from trackstone.errors import InvalidParameter, InvalidState
from trackstone.models.mlmodel import ModelMetadata
from trackstone.models.model_info import ModelInfo
from trackstone.models.save import Flavor, SaveOptions, save_model_dir

__all__ = ["LOG_MODEL_HISTORY_TAG", "artifact_name", "log_model_to_run"]

LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


def artifact_name(name: str | None, artifact_path: str | None) -> str:
    """Return the artifact path of a logged model: ``name`` (MLflow 3) or ``artifact_path`` (2).

    Raises:
        InvalidParameter: neither is given, both differ, or the path escapes the run.
    """
    from trackstone.artifacts.paths import safe_relative_path

    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidParameter(
            f"name {name!r} and artifact_path {artifact_path!r}: give only one of them"
        )
    chosen = name if name is not None else artifact_path
    if not chosen:
        raise InvalidParameter("name: give the artifact path to log the model under")
    relative = safe_relative_path(chosen)
    if not relative:
        raise InvalidParameter(f"name {chosen!r}: must name a folder inside the run")
    return relative


def _history_entry(metadata: ModelMetadata) -> dict[str, Any]:
    return {
        "run_id": metadata.run_id,
        "artifact_path": metadata.artifact_path,
        "utc_time_created": metadata.utc_time_created,
        "model_uuid": metadata.model_uuid,
        "flavors": {name: dict(conf) for name, conf in metadata.flavors.items()},
    }


def _record_history(client: Any, run_id: str, metadata: ModelMetadata) -> None:
    """Append the model to the run's history tag, dropping the oldest entries to fit."""
    previous = client.get_run(run_id).data.tags.get(LOG_MODEL_HISTORY_TAG)
    try:
        entries = json.loads(previous) if previous else []
    except ValueError:
        entries = []
    if not isinstance(entries, list):
        entries = []
    entries.append(_history_entry(metadata))
    text = json.dumps(entries)
    while len(text) > MAX_TAG_VALUE_LENGTH and len(entries) > 1:
        entries.pop(0)
        text = json.dumps(entries)
    if len(text) <= MAX_TAG_VALUE_LENGTH:
        client.set_tag(run_id, LOG_MODEL_HISTORY_TAG, text, synchronous=True)


def _register(model_uri: str, registered_model_name: str) -> int:
    import trackstone

    register = getattr(trackstone, "register_model", None)
    if register is None:
        raise InvalidState(
            "registered_model_name: this Trackstone has no model registry client "
            "(trackstone.register_model); log without it and register later"
        )
    version = register(model_uri, registered_model_name)
    return int(version.version)


def log_model_to_run(
    flavor: Flavor,
    name: str | None,
    artifact_path: str | None,
    options: SaveOptions,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save the model ``flavor`` describes and log it under the active run (started if none).

    Args:
        flavor: the framework's part of the model folder (files, prediction, requirements).
        name: the artifact path in the run (MLflow 3's name; see ``artifact_name``).
        artifact_path: MLflow 2's name for ``name``.
        options: the caller's save options; the run id and artifact path are filled in.
        registered_model_name: also register the model under this name.

    Raises:
        InvalidParameter: the artifact path is missing or unusable, or ``save_model_dir``
            refuses the options.
    """
    from trackstone.client.fluent import current_run_id, get_client

    relative = artifact_name(name, artifact_path)
    run_id = current_run_id()
    client = get_client()
    staging = Path(tempfile.mkdtemp(prefix="trackstone-log-model-"))
    try:
        local = staging / "model"
        options = dataclasses.replace(options, run_id=run_id, artifact_path=relative)
        metadata = save_model_dir(local, flavor, options)
        client.log_artifacts(run_id, local, relative)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _record_history(client, run_id, metadata)
    model_uri = f"runs:/{run_id}/{relative}"
    info = ModelInfo.of(metadata, model_uri, run_id, relative)
    if registered_model_name is not None:
        version = _register(model_uri, registered_model_name)
        info = dataclasses.replace(info, registered_model_version=version)
    return info
