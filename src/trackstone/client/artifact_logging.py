"""Artifact logging: files, folders and in-memory objects (text, dicts, figures, images, tables).

The conversions to bytes are pure functions; ``ArtifactMethods`` is the artifact half of
``TrackstoneClient``, writing through the run's ``ArtifactRepository``. numpy, PIL, matplotlib
and pandas are only imported when the object logged calls for them.
"""

from __future__ import annotations

import io
import json
import math
import posixpath
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from trackstone.entities.validation import check_key
from trackstone.errors import InvalidParameter, NotFound

if TYPE_CHECKING:
    from trackstone.artifacts.base import ArtifactRepository, FileInfo
    from trackstone.clock import Clock
    from trackstone.entities import Run

__all__ = [
    "LOGGED_ARTIFACTS_TAG",
    "ArtifactMethods",
    "Table",
    "dict_bytes",
    "figure_bytes",
    "image_bytes",
    "image_key_path",
    "merge_tables",
    "read_table",
    "table_bytes",
    "table_from",
    "with_logged_artifact",
]

# MLflow's UI reads this tag (a JSON list of {"path", "type"}) to find logged tables.
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
_YAML_SUFFIXES = (".yaml", ".yml")


def _json_default(value: object) -> object:
    # numpy scalars and arrays, pandas timestamps and the like.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dict_bytes(dictionary: Mapping[str, Any], artifact_file: str) -> bytes:
    """Serialise ``dictionary`` as YAML for ``.yaml``/``.yml`` files, else as JSON.

    Example:
        >>> dict_bytes({"a": 1}, "config.json")
        b'{\\n  "a": 1\\n}'
    """
    if artifact_file.lower().endswith(_YAML_SUFFIXES):
        import yaml

        plain = json.loads(json.dumps(dictionary, default=_json_default))
        text: str = yaml.safe_dump(plain, default_flow_style=False, sort_keys=False)
        return text.encode("utf-8")
    return json.dumps(dictionary, indent=2, default=_json_default).encode("utf-8")


def _suffix(artifact_file: str) -> str:
    return posixpath.splitext(artifact_file)[1].lower().lstrip(".")


def figure_bytes(
    figure: Any, artifact_file: str, save_kwargs: Mapping[str, Any] | None = None
) -> bytes:
    """Render a matplotlib figure (or a plotly figure to ``.html``) in the file's format."""
    suffix = _suffix(artifact_file)
    if hasattr(figure, "savefig"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix or "png", **dict(save_kwargs or {}))
        return buffer.getvalue()
    if suffix == "html" and hasattr(figure, "to_html"):
        html: str = figure.to_html(**dict(save_kwargs or {}))
        return html.encode("utf-8")
    raise InvalidParameter(
        f"figure: expected a matplotlib figure (or a plotly figure saved as .html), "
        f"got {type(figure).__name__}"
    )


def _array_to_pil(array: Any) -> Any:
    import numpy as np
    from PIL import Image

    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidParameter(
            f"image: expected shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}"
        )
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if array.size and not (np.nanmin(array) >= 0.0 and np.nanmax(array) <= 1.0):
            raise InvalidParameter("image: float pixel values must lie in [0, 1]")
        array = np.nan_to_num(array * 255.0).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        if array.size and not (array.min() >= 0 and array.max() <= 255):
            raise InvalidParameter("image: integer pixel values must lie in [0, 255]")
        array = array.astype(np.uint8)
    else:
        raise InvalidParameter(f"image: unsupported pixel type {array.dtype}")
    return Image.fromarray(array)


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """Encode a numpy array (floats in [0, 1] or integers in [0, 255]) or a PIL image.

    The format follows the file's extension (PNG when it has none).
    """
    if hasattr(image, "save") and hasattr(image, "mode"):
        picture = image
    elif hasattr(image, "ndim") and hasattr(image, "dtype"):
        picture = _array_to_pil(image)
    else:
        raise InvalidParameter(
            f"image: expected a numpy array or a PIL image, got {type(image).__name__}"
        )
    suffix = _suffix(artifact_file) or "png"
    image_format = {"jpg": "jpeg", "tif": "tiff"}.get(suffix, suffix)
    buffer = io.BytesIO()
    try:
        picture.save(buffer, format=image_format)
    except (KeyError, ValueError, OSError) as error:
        raise InvalidParameter(f"image: cannot save as {suffix!r}: {error}") from None
    return buffer.getvalue()


def image_key_path(key: str, step: int, timestamp_ms: int) -> str:
    """Return where an image logged under ``key`` at ``step`` goes.

    One folder per key (a ``/`` in the key nests folders); file names sort by step, then
    time, and end in a random suffix so that two images at the same step both survive.
    (MLflow's ``%``-separated names are not used: ``%xx`` reads as a percent escape, which
    artifact paths refuse when it decodes to a control character.)

    Example:
        >>> image_key_path("val/sample", 3, 1700000000000).rsplit("_", 1)[0]
        'images/val/sample/step_000000000003_1700000000000'
    """
    return f"images/{key}/step_{step:012d}_{timestamp_ms}_{uuid.uuid4().hex[:12]}.png"


@dataclass(frozen=True)
class Table:
    """A table as column names and rows (each row a list, one value per column)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def table_from(data: Any) -> Table:
    """Build a table from a dict of columns (lists of equal length) or a pandas DataFrame."""
    if hasattr(data, "columns") and hasattr(data, "itertuples"):
        columns = tuple(str(column) for column in data.columns)
        rows = tuple(tuple(row) for row in data.itertuples(index=False, name=None))
        return Table(columns, rows)
    if isinstance(data, Mapping):
        columns = tuple(str(column) for column in data)
        values = [
            list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
            for value in data.values()
        ]
        if all(not isinstance(value, list) for value in values):
            return Table(columns, (tuple(values),))
        lengths = {len(value) for value in values if isinstance(value, list)}
        if len(lengths) != 1 or any(not isinstance(value, list) for value in values):
            raise InvalidParameter("table: every column must be a list of the same length")
        return Table(columns, tuple(zip(*values, strict=True)))
    raise InvalidParameter(
        f"table: expected a dict of columns or a pandas DataFrame, got {type(data).__name__}"
    )


def merge_tables(old: Table, new: Table) -> Table:
    """Append ``new``'s rows to ``old``; columns are the union, missing cells are None."""
    columns = old.columns + tuple(c for c in new.columns if c not in old.columns)

    def widen(table: Table) -> list[tuple[Any, ...]]:
        index = {column: i for i, column in enumerate(table.columns)}
        return [tuple(row[index[c]] if c in index else None for c in columns) for row in table.rows]

    return Table(columns, tuple(widen(old) + widen(new)))


def _clean_cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def table_bytes(table: Table) -> bytes:
    """Serialise a table as ``{"columns": [...], "data": [[...], ...]}`` JSON."""
    body = {
        "columns": list(table.columns),
        "data": [[_clean_cell(cell) for cell in row] for row in table.rows],
    }
    return json.dumps(body, default=_json_default).encode("utf-8")


def read_table(raw: bytes) -> Table:
    """Parse bytes written by ``table_bytes``."""
    try:
        body = json.loads(raw)
        return Table(tuple(body["columns"]), tuple(tuple(row) for row in body["data"]))
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidParameter(f"table: the existing artifact is not a table: {error}") from None


def with_logged_artifact(tag_value: str | None, path: str, kind: str) -> str | None:
    """Return the ``mlflow.loggedArtifacts`` value listing ``path``, or None if it already does."""
    try:
        entries = json.loads(tag_value) if tag_value else []
    except ValueError:
        entries = []
    if not isinstance(entries, list):
        entries = []
    if any(isinstance(e, dict) and e.get("path") == path for e in entries):
        return None
    entries.append({"path": path, "type": kind})
    return json.dumps(entries)


def _write(repository: ArtifactRepository, artifact_file: str, data: bytes) -> None:
    repository.write_artifact(artifact_file, io.BytesIO(data))


class _Client(Protocol):
    """What ``ArtifactMethods`` needs from the client it is part of."""

    @property
    def clock(self) -> Clock: ...

    def _repository(self, run_id: str) -> ArtifactRepository: ...

    def get_run(self, run_id: str) -> Run: ...

    def flush(self, run_id: str | None = None) -> bool: ...

    def set_tag(
        self, run_id: str, key: str, value: Any, synchronous: bool | None = None
    ) -> None: ...


class ArtifactMethods:
    """The artifact methods of ``TrackstoneClient`` (same names as ``MlflowClient``'s)."""

    def log_artifact(
        self: _Client, run_id: str, local_path: str | Path, artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts (under ``artifact_path`` if given)."""
        self._repository(run_id).log_artifact(local_path, artifact_path)

    def log_artifacts(
        self: _Client, run_id: str, local_dir: str | Path, artifact_path: str | None = None
    ) -> None:
        """Copy a local folder tree into the run's artifacts."""
        self._repository(run_id).log_artifacts(local_dir, artifact_path)

    def log_text(self: _Client, run_id: str, text: str, artifact_file: str) -> None:
        """Write ``text`` (UTF-8) to ``artifact_file``."""
        _write(self._repository(run_id), artifact_file, text.encode("utf-8"))

    def log_dict(
        self: _Client, run_id: str, dictionary: Mapping[str, Any], artifact_file: str
    ) -> None:
        """Write a dict as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
        _write(self._repository(run_id), artifact_file, dict_bytes(dictionary, artifact_file))

    def log_figure(
        self: _Client,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Save a matplotlib figure in the format the file extension names."""
        data = figure_bytes(figure, artifact_file, save_kwargs)
        _write(self._repository(run_id), artifact_file, data)

    def log_image(
        self: _Client,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Save a numpy array or PIL image, either at ``artifact_file`` or under ``key``/``step``.

        Raises:
            InvalidParameter: neither or both of ``artifact_file`` and ``key`` are given.
        """
        if (artifact_file is None) == (key is None):
            raise InvalidParameter("log_image: give exactly one of artifact_file and key")
        if key is not None:
            check_key("image key", key)
            when = self.clock.now_ms() if timestamp is None else timestamp
            artifact_file = image_key_path(key, step or 0, when)
        assert artifact_file is not None
        _write(self._repository(run_id), artifact_file, image_bytes(image, artifact_file))

    def log_table(self: _Client, run_id: str, data: Any, artifact_file: str) -> None:
        """Write a table (dict of columns or DataFrame) as JSON, appending if the file exists."""
        table = table_from(data)
        repository = self._repository(run_id)
        try:
            with repository.open_artifact(artifact_file) as stream:
                table = merge_tables(read_table(stream.read()), table)
        except NotFound:
            pass
        repository.write_artifact(artifact_file, io.BytesIO(table_bytes(table)))
        current = self.get_run(run_id).data.tags.get(LOGGED_ARTIFACTS_TAG)
        listed = with_logged_artifact(current, artifact_file, "table")
        if listed is not None:
            self.set_tag(run_id, LOGGED_ARTIFACTS_TAG, listed)

    def list_artifacts(self: _Client, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the direct children of a folder of the run's artifacts (the root when None)."""
        self.flush(run_id)  # read-your-writes, like every other read of a run
        return self._repository(run_id).list_artifacts(path)

    def download_artifacts(
        self: _Client, run_id: str, path: str, dst_path: str | Path | None = None
    ) -> str:
        """Copy an artifact file or folder to ``dst_path`` (a new temp folder when None)."""
        target = dst_path if dst_path is not None else tempfile.mkdtemp(prefix="trackstone-")
        return str(self._repository(run_id).download_artifacts(path, target))
