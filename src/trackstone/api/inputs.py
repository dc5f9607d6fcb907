"""Datasets and models a run consumed or produced, and the log-inputs / outputs requests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import msgspec

from trackstone.api.messages import Request
from trackstone.api.records import WireTag
from trackstone.api.scalars import Int64
from trackstone.entities import Dataset, DatasetInput, InputTag
from trackstone.entities.run import LoggedModelInput, LoggedModelOutput
from trackstone.errors import InvalidParameter

__all__ = [
    "LogInputs",
    "LogOutputs",
    "WireDataset",
    "WireDatasetInput",
    "WireModelInput",
    "WireModelOutput",
    "dataset_input_from_wire",
    "dataset_input_to_wire",
    "dataset_inputs_from_wire",
    "model_inputs_from_wire",
    "model_outputs_from_wire",
]

T = TypeVar("T")
W = TypeVar("W")


class WireDataset(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """A dataset: name and digest identify it; source says where it came from."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


class WireDatasetInput(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """One use of a dataset by a run, with its tags (e.g. ``mlflow.data.context``)."""

    dataset: WireDataset
    tags: list[WireTag] = msgspec.field(default_factory=list)


class WireModelInput(msgspec.Struct, kw_only=True, frozen=True):
    """A logged model a run consumed."""

    model_id: str


class WireModelOutput(msgspec.Struct, kw_only=True, frozen=True):
    """A logged model a run produced, at a step."""

    model_id: str
    step: Int64 = 0


class LogInputs(Request, kw_only=True, frozen=True):
    """POST runs/log-inputs: record datasets (and models) a run consumed."""

    run_id: str
    datasets: list[WireDatasetInput] = msgspec.field(default_factory=list)
    models: list[WireModelInput] = msgspec.field(default_factory=list)


class LogOutputs(Request, kw_only=True, frozen=True):
    """POST runs/outputs: record models a run produced."""

    run_id: str
    models: list[WireModelOutput] = msgspec.field(default_factory=list)


def dataset_input_to_wire(item: DatasetInput) -> WireDatasetInput:
    """Return the wire form of one dataset use."""
    dataset = item.dataset
    return WireDatasetInput(
        dataset=WireDataset(
            name=dataset.name,
            digest=dataset.digest,
            source_type=dataset.source_type,
            source=dataset.source,
            schema=dataset.schema,
            profile=dataset.profile,
        ),
        tags=[WireTag(tag.key, tag.value) for tag in item.tags],
    )


def dataset_input_from_wire(wire: WireDatasetInput) -> DatasetInput:
    """Return the validated ``DatasetInput`` a wire dataset use describes."""
    dataset = wire.dataset
    return DatasetInput(
        dataset=Dataset(
            name=dataset.name,
            digest=dataset.digest,
            source_type=dataset.source_type,
            source=dataset.source,
            schema=dataset.schema,
            profile=dataset.profile,
        ),
        tags=tuple(InputTag(tag.key, tag.value) for tag in wire.tags),
    )


def _each_from_wire(
    items: Iterable[W], build: Callable[[W], T], field: str, separator: str
) -> list[T]:
    """Return ``build`` of each item; a bad one raises InvalidParameter naming its index
    (``field[index]``, then ``separator`` and the item's own message)."""
    result = []
    for index, item in enumerate(items):
        try:
            result.append(build(item))
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]{separator}{error.message}") from None
    return result


def dataset_inputs_from_wire(
    items: Iterable[WireDatasetInput], field: str = "datasets"
) -> list[DatasetInput]:
    """Return validated dataset uses; a bad one raises InvalidParameter naming its index."""
    return _each_from_wire(items, dataset_input_from_wire, field, ": ")


def model_inputs_from_wire(
    items: Iterable[WireModelInput], field: str = "models"
) -> list[LoggedModelInput]:
    """Return validated model inputs; a bad one raises InvalidParameter naming its index."""
    return _each_from_wire(items, lambda item: LoggedModelInput(item.model_id), field, ".")


def model_outputs_from_wire(
    items: Iterable[WireModelOutput], field: str = "models"
) -> list[LoggedModelOutput]:
    """Return validated model outputs; a bad one raises InvalidParameter naming its index."""
    return _each_from_wire(
        items, lambda item: LoggedModelOutput(item.model_id, item.step), field, "."
    )
