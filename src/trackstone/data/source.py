"""Where a dataset came from: a source type and a URI, stored as JSON on the dataset."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from trackstone.errors import InvalidParameter

__all__ = ["DatasetSource", "source_from"]

# URI schemes we recognise by name; any other scheme keeps its own name as the type.
_SCHEME_TYPES = {
    "file": "local",
    "http": "http",
    "https": "http",
    "s3": "s3",
    "gs": "gcs",
    "hf": "hugging_face",
    "dbfs": "dbfs",
}


@dataclass(frozen=True)
class DatasetSource:
    """A dataset's origin: ``source_type`` (``local``, ``s3``, ``http``, ``code``...) and URI.

    Example:
        >>> source_from("s3://bucket/train.csv").source_type
        's3'
    """

    source_type: str
    uri: str | None = None

    def to_json(self) -> str:
        """Return the JSON stored in the dataset's ``source`` field."""
        return json.dumps({"uri": self.uri} if self.uri is not None else {})


def source_from(value: DatasetSource | str | Path | None) -> DatasetSource:
    """Interpret what a caller passed as a dataset source.

    A URI keeps its scheme's type, a plain path becomes an absolute ``local`` source, and
    None means the data was built in code (source type ``code``).
    """
    if value is None:
        return DatasetSource("code")
    if isinstance(value, DatasetSource):
        return value
    if isinstance(value, Path):
        return DatasetSource("local", str(value.expanduser().resolve()))
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"dataset source: expected a URI or a path, got {value!r}")
    scheme, sep, _ = value.partition("://")
    if sep and scheme.isidentifier():
        return DatasetSource(_SCHEME_TYPES.get(scheme.lower(), scheme.lower()), value)
    return DatasetSource("local", str(Path(value).expanduser().resolve()))
