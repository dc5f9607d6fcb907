"""The ``MLmodel`` file: a model directory's YAML description, in MLflow's layout.

Keys written (MLflow reads each; unknown keys are kept as read)::

    artifact_path: model            # where it was logged in its run (absent for save_model)
    flavors:                        # flavor name -> its configuration
      python_function: {loader_module: mlflow.sklearn, model_path: model.pkl, ...}
      sklearn: {pickled_model: model.pkl, serialization_format: pickle, ...}
    model_size_bytes: 1234
    model_uuid: 32 hex digits
    run_id: ...                     # absent for save_model
    saved_input_example_info: {artifact_path: input_example.json, type: dataframe, ...}
    signature: {inputs: '<json>', outputs: '<json>', params: null}
    trackstone_version: 0.1.0       # instead of mlflow_version: we are not that MLflow
    utc_time_created: '2025-01-31 12:00:00.000000'

``mlflow_version`` is kept when a model written by MLflow is read, and omitted when we write
one: MLflow treats it as optional (None), and writing a version of MLflow we are not would lie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trackstone.errors import InvalidParameter, NotFound
from trackstone.models.signature import ModelSignature

__all__ = [
    "MLMODEL_FILE_NAME",
    "PYFUNC_FLAVOR",
    "ModelMetadata",
    "read_mlmodel",
    "write_mlmodel",
]

MLMODEL_FILE_NAME = "MLmodel"
PYFUNC_FLAVOR = "python_function"
_KNOWN_KEYS = (
    "artifact_path",
    "flavors",
    "mlflow_version",
    "model_size_bytes",
    "model_uuid",
    "run_id",
    "saved_input_example_info",
    "signature",
    "utc_time_created",
    "metadata",
)


@dataclass(frozen=True)
class ModelMetadata:
    """What an MLmodel file says about a model directory.

    ``extra`` holds every other top-level key as read (``trackstone_version``, MLflow's
    ``model_id``, ``prompts``...), so a read-then-write round trip keeps it.
    """

    flavors: Mapping[str, Mapping[str, Any]]
    model_uuid: str | None = None
    utc_time_created: str | None = None
    artifact_path: str | None = None
    run_id: str | None = None
    signature: ModelSignature | None = None
    saved_input_example_info: Mapping[str, Any] | None = None
    model_size_bytes: int | None = None
    mlflow_version: str | None = None
    metadata: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def flavor(self, name: str) -> Mapping[str, Any]:
        """Return one flavor's configuration.

        Raises:
            InvalidParameter: the model has no such flavor (the message lists those it has).
        """
        conf = self.flavors.get(name)
        if conf is None:
            raise InvalidParameter(
                f"flavors: the model has no {name!r} flavor (it has {sorted(self.flavors)})"
            )
        return conf

    def to_dict(self) -> dict[str, Any]:
        """Return the YAML mapping: known keys whose value is None are left out."""
        known: dict[str, Any] = {
            "artifact_path": self.artifact_path,
            "flavors": {name: dict(conf) for name, conf in self.flavors.items()},
            "mlflow_version": self.mlflow_version,
            "model_size_bytes": self.model_size_bytes,
            "model_uuid": self.model_uuid,
            "run_id": self.run_id,
            "saved_input_example_info": (
                dict(self.saved_input_example_info)
                if self.saved_input_example_info is not None
                else None
            ),
            "signature": self.signature.to_dict() if self.signature is not None else None,
            "utc_time_created": self.utc_time_created,
            "metadata": dict(self.metadata) if self.metadata is not None else None,
        }
        out: dict[str, Any] = dict(self.extra)
        out.update({key: value for key, value in known.items() if value is not None})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = MLMODEL_FILE_NAME) -> ModelMetadata:
        """Build from a parsed MLmodel mapping.

        Raises:
            InvalidParameter: ``flavors`` is missing or not a mapping of mappings, or the
                signature is malformed.
        """
        flavors = data.get("flavors")
        if not isinstance(flavors, Mapping) or not all(
            isinstance(conf, Mapping) for conf in flavors.values()
        ):
            raise InvalidParameter(f"{where}: 'flavors' must map flavor names to mappings")
        signature = data.get("signature")
        if signature is not None and not isinstance(signature, Mapping):
            raise InvalidParameter(f"{where}: 'signature' must be a mapping")
        example = data.get("saved_input_example_info")
        if example is not None and not isinstance(example, Mapping):
            raise InvalidParameter(f"{where}: 'saved_input_example_info' must be a mapping")
        size = data.get("model_size_bytes")
        return cls(
            flavors={str(name): dict(conf) for name, conf in flavors.items()},
            model_uuid=_text(data.get("model_uuid")),
            utc_time_created=_text(data.get("utc_time_created")),
            artifact_path=_text(data.get("artifact_path")),
            run_id=_text(data.get("run_id")),
            signature=ModelSignature.from_dict(signature) if signature else None,
            saved_input_example_info=dict(example) if example is not None else None,
            model_size_bytes=size if isinstance(size, int) else None,
            mlflow_version=_text(data.get("mlflow_version")),
            metadata=data.get("metadata") if isinstance(data.get("metadata"), Mapping) else None,
            extra={key: value for key, value in data.items() if key not in _KNOWN_KEYS},
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def write_mlmodel(metadata: ModelMetadata, model_dir: Path) -> Path:
    """Write ``model_dir/MLmodel`` and return its path.

    Raises:
        InvalidParameter: a value (e.g. in ``metadata``) is not plain YAML data.
    """
    import yaml

    try:
        text = yaml.safe_dump(metadata.to_dict(), default_flow_style=False, sort_keys=True)
    except yaml.YAMLError as error:
        # Only caller-given values (metadata=...) can be of types YAML cannot hold.
        raise InvalidParameter(f"metadata: values must be plain YAML data: {error}") from None
    path = Path(model_dir) / MLMODEL_FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


def read_mlmodel(model_dir: Path) -> ModelMetadata:
    """Read ``model_dir/MLmodel``.

    Raises:
        NotFound: the directory has no MLmodel file.
        InvalidParameter: the file is not valid YAML or not an MLmodel mapping.
    """
    import yaml

    path = Path(model_dir) / MLMODEL_FILE_NAME
    if not path.is_file():
        raise NotFound(f"model {str(model_dir)!r}: no {MLMODEL_FILE_NAME} file in it")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InvalidParameter(f"{MLMODEL_FILE_NAME}: not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise InvalidParameter(f"{MLMODEL_FILE_NAME}: expected a mapping at the top level")
    return ModelMetadata.from_dict(data)
