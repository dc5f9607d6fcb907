"""Datasets a run consumed, with the tags (such as the context) of each use."""

from __future__ import annotations

from dataclasses import dataclass, field

from trackstone.entities.validation import check_key, check_length

__all__ = ["DATASET_CONTEXT_TAG", "Dataset", "DatasetInput", "InputTag"]

DATASET_CONTEXT_TAG = "mlflow.data.context"

MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65535
MAX_DATASET_SCHEMA_LENGTH = 1_048_575
MAX_DATASET_PROFILE_LENGTH = 16_384
MAX_INPUT_TAG_VALUE_LENGTH = 500


@dataclass(frozen=True)
class Dataset:
    """A dataset identified by name and content digest, with where it came from."""

    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str | None = None
    profile: str | None = None

    def __post_init__(self) -> None:
        check_length("dataset name", self.name, MAX_DATASET_NAME_LENGTH)
        check_length("dataset digest", self.digest, MAX_DATASET_DIGEST_LENGTH)
        check_length("dataset source_type", self.source_type, MAX_DATASET_SOURCE_TYPE_LENGTH)
        check_length("dataset source", self.source, MAX_DATASET_SOURCE_LENGTH)
        if self.schema is not None:
            check_length("dataset schema", self.schema, MAX_DATASET_SCHEMA_LENGTH)
        if self.profile is not None:
            check_length("dataset profile", self.profile, MAX_DATASET_PROFILE_LENGTH)
        if not self.name:
            from trackstone.errors import InvalidParameter

            raise InvalidParameter("dataset name: must not be empty")


@dataclass(frozen=True)
class InputTag:
    """A key/value label on one use of a dataset by a run (e.g. its context)."""

    key: str
    value: str

    def __post_init__(self) -> None:
        check_key("input tag key", self.key)
        check_length(f"input tag {self.key!r} value", self.value, MAX_INPUT_TAG_VALUE_LENGTH)


@dataclass(frozen=True)
class DatasetInput:
    """One dataset used by a run, with the tags of that use."""

    dataset: Dataset
    tags: tuple[InputTag, ...] = field(default_factory=tuple)

    @property
    def context(self) -> str | None:
        """Return the ``mlflow.data.context`` tag (``training``, ``eval``...), if any."""
        for tag in self.tags:
            if tag.key == DATASET_CONTEXT_TAG:
                return tag.value
        return None
