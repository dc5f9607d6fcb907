"""Save a model directory: framework files, input example, signature, environment, MLmodel, hashes.

Every flavor's ``save_model`` describes its framework in a ``Flavor`` and calls
``save_model_dir``. The directory is assembled beside its destination and renamed into place
at the end, so a failure (an unserializable model, a bad example) leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trackstone.errors import AlreadyExists, InvalidParameter
from trackstone.models.environment import (
    CONDA_FILE_NAME,
    PYTHON_ENV_FILE_NAME,
    pinned,
    write_environment,
)
from trackstone.models.hashes import write_hashes
from trackstone.models.input_example import save_input_example
from trackstone.models.mlmodel import PYFUNC_FLAVOR, ModelMetadata, write_mlmodel
from trackstone.models.signature import (
    ModelSignature,
    infer_output_schema,
    infer_schema,
    signature_from,
)

__all__ = ["Flavor", "SaveOptions", "class_path", "save_model_dir"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flavor:
    """How one framework writes a model.

    Attributes:
        name: the flavor key in MLmodel (``sklearn``, ``xgboost``...).
        loader_module: MLflow's module that loads it as ``python_function``.
        write: writes the framework's files into a directory; returns (flavor configuration,
            extra ``python_function`` configuration such as ``model_path`` or ``data``).
        predict: the model's prediction on input data, to infer the output schema.
        requirements: pinned packages the model needs.
    """

    name: str
    loader_module: str
    write: Callable[[Path], tuple[dict[str, Any], dict[str, Any]]]
    predict: Callable[[Any], Any]
    requirements: Sequence[str]


def class_path(model: Any) -> str:
    """Return the dotted path of a model's class, as MLmodel's ``model_class`` records it."""
    return f"{type(model).__module__}.{type(model).__qualname__}"


@dataclass(frozen=True)
class SaveOptions:
    """What the caller of ``save_model``/``log_model`` chose (MLflow's argument names).

    ``signature=False`` stores no signature and infers none.
    """

    input_example: Any = None
    signature: Any = None
    pip_requirements: Sequence[str] | None = None
    extra_pip_requirements: Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    run_id: str | None = None
    artifact_path: str | None = None


def _signature(flavor: Flavor, options: SaveOptions) -> ModelSignature | None:
    if options.signature is False:
        return None
    if options.signature is not None:
        return signature_from(options.signature)
    example = options.input_example
    if example is None:
        return None
    inputs = infer_schema(example)
    try:
        outputs = infer_output_schema(example, flavor.predict(example))
    except Exception:
        # The model's own predict (or an odd output type) must not cost the user the saved
        # model: keep the input schema, as MLflow does, and say why the output is missing.
        logger.warning(
            "could not infer the output schema from the input example; saving without it",
            exc_info=True,
        )
        outputs = None
    return ModelSignature(inputs, outputs)


def _requirements(flavor: Flavor, options: SaveOptions) -> list[str]:
    if options.pip_requirements is not None:
        base = [str(line) for line in options.pip_requirements]
    else:
        base = [*flavor.requirements, pinned("numpy")]
    return base + [str(line) for line in options.extra_pip_requirements or ()]


def _size_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def _check_destination(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise AlreadyExists(f"path {str(path)!r}: already exists and is not an empty folder")


def _assemble(root: Path, flavor: Flavor, options: SaveOptions) -> ModelMetadata:
    from trackstone import __version__

    flavor_conf, pyfunc_extra = flavor.write(root)
    example_info = (
        save_input_example(options.input_example, root)
        if options.input_example is not None
        else None
    )
    signature = _signature(flavor, options)
    write_environment(root, _requirements(flavor, options))
    pyfunc_conf = {
        "loader_module": flavor.loader_module,
        "python_version": platform.python_version(),
        "env": {"conda": CONDA_FILE_NAME, "virtualenv": PYTHON_ENV_FILE_NAME},
        **pyfunc_extra,
    }
    metadata = ModelMetadata(
        flavors={PYFUNC_FLAVOR: pyfunc_conf, flavor.name: flavor_conf},
        model_uuid=uuid.uuid4().hex,
        utc_time_created=str(datetime.now(timezone.utc).replace(tzinfo=None)),
        artifact_path=options.artifact_path,
        run_id=options.run_id,
        signature=signature,
        saved_input_example_info=example_info,
        model_size_bytes=_size_bytes(root),
        metadata=options.metadata,
        extra={"trackstone_version": __version__},
    )
    write_mlmodel(metadata, root)
    write_hashes(root)
    return metadata


def save_model_dir(
    path: str | os.PathLike[str], flavor: Flavor, options: SaveOptions
) -> ModelMetadata:
    """Write a complete model directory at ``path`` and return its metadata.

    Raises:
        AlreadyExists: ``path`` exists and is not an empty folder.
        InvalidParameter: the input example or signature is unusable (named in the message).
    """
    if not str(path):
        raise InvalidParameter("path: must not be empty")
    destination = Path(path).absolute()
    _check_destination(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=destination.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0o700 would make the saved model private
        metadata = _assemble(staging, flavor, options)
        if destination.exists():
            destination.rmdir()  # empty, checked above
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return metadata
