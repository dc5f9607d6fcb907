"""The base of datasets built from in-memory data: name, content digest, source, schema, profile."""

from __future__ import annotations

import json
from typing import Any

from trackstone.data.source import DatasetSource
from trackstone.entities import Dataset

__all__ = ["DIGEST_LENGTH", "TrackedDataset"]

# Hex characters kept from the content hash: short to read, long enough not to collide.
DIGEST_LENGTH = 16


class TrackedDataset:
    """A dataset a run can record with ``log_input``: data plus what identifies it.

    Subclasses compute ``digest``, ``schema`` and ``profile`` from their data.
    """

    def __init__(self, name: str, digest: str, source: DatasetSource) -> None:
        self._name = name
        self._digest = digest
        self._source = source

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self._name

    @property
    def digest(self) -> str:
        """A stable hash of the data: the same content always gives the same digest."""
        return self._digest

    @property
    def source(self) -> DatasetSource:
        """Where the data came from."""
        return self._source

    @property
    def schema(self) -> dict[str, Any] | None:
        """The data's columns or tensor shapes, as a JSON-ready dict."""
        return None

    @property
    def profile(self) -> dict[str, Any] | None:
        """Sizes of the data (rows, columns, elements), as a JSON-ready dict."""
        return None

    def to_dataset_entity(self) -> Dataset:
        """Return the ``Dataset`` record that ``log_input`` stores."""
        schema = self.schema
        profile = self.profile
        return Dataset(
            name=self.name,
            digest=self.digest,
            source_type=self.source.source_type,
            source=self.source.to_json(),
            schema=json.dumps(schema) if schema is not None else None,
            profile=json.dumps(profile) if profile is not None else None,
        )

    def to_dict(self) -> dict[str, str]:
        """Return the stored fields as strings, as MLflow's ``Dataset.to_dict`` does."""
        entity = self.to_dataset_entity()
        fields = {
            "name": entity.name,
            "digest": entity.digest,
            "source_type": entity.source_type,
            "source": entity.source,
        }
        if entity.schema is not None:
            fields["schema"] = entity.schema
        if entity.profile is not None:
            fields["profile"] = entity.profile
        return fields

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest!r}>"
