"""Metric points linked to logged models on the wire: what MLflow 3 adds to a point.

MLflow 3's ``Metric`` may carry ``model_id``, ``dataset_name`` and ``dataset_digest`` (and, in
a model's ``data.metrics``, ``run_id``). ``log-metric`` and ``log-batch`` are decoded with the
``LogMetric`` and ``LogBatch`` here (subclasses of ``trackstone.api.records``'s, under the same
names so the OpenAPI document keeps them) so those fields survive; ``split_model_metrics``
then hands the plain points on exactly as before and returns the linked ones apart, for
``LoggedModelStore.log_model_metrics``. ``WireMetric`` itself, which every run and history
response encodes, stays four fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Annotated

import msgspec

from trackstone.api import records
from trackstone.api.records import MAX_METRICS_PER_BATCH, WireMetric, metrics_from_wire
from trackstone.api.scalars import wire_number
from trackstone.entities import Metric
from trackstone.entities.logged_model import LoggedModelMetric
from trackstone.errors import InvalidParameter

__all__ = [
    "LogBatch",
    "LogMetric",
    "WireModelMetric",
    "model_metric_to_wire",
    "split_model_metrics",
]

_model_id_of = attrgetter("model_id")


class WireModelMetric(WireMetric, frozen=True, gc=False, omit_defaults=True):
    """A metric point that may name the logged model and the dataset it was measured for."""

    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None
    run_id: str | None = None


class LogMetric(records.LogMetric, kw_only=True, frozen=True):
    """POST runs/log-metric: a point of a run, maybe also of a logged model on a dataset."""

    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None

    def to_model_metric(self) -> LoggedModelMetric | None:
        """Return the point as a model metric when it names a model, else None."""
        if not self.model_id:
            return None
        return LoggedModelMetric(
            self.model_id,
            self.to_metric(),
            dataset_name=self.dataset_name or None,
            dataset_digest=self.dataset_digest or None,
        )


_BatchMetrics = Annotated[list[WireModelMetric], msgspec.Meta(max_length=MAX_METRICS_PER_BATCH)]


class LogBatch(records.LogBatch, kw_only=True, frozen=True):
    """POST runs/log-batch, whose metric points may name logged models and datasets."""

    # Each point is a WireMetric, so the base class's checks and readers still apply.
    metrics: _BatchMetrics = msgspec.field(default_factory=list)  # type: ignore[assignment]


def split_model_metrics(
    items: Sequence[WireModelMetric], field: str = "metrics"
) -> tuple[list[Metric], list[LoggedModelMetric]]:
    """Return the plain points and the model-linked ones, validated.

    When no point names a model (the usual batch) this is ``metrics_from_wire`` plus one
    C-level scan of the ``model_id`` fields. A bad item raises InvalidParameter naming
    ``field[index]``.
    """
    if not any(map(_model_id_of, items)):
        return metrics_from_wire(items, field), []
    plain: list[Metric] = []
    linked: list[LoggedModelMetric] = []
    for index, item in enumerate(items):
        try:
            metric = Metric(item.key, float(item.value), item.timestamp, item.step)
            if not item.model_id:
                plain.append(metric)
                continue
            linked.append(
                LoggedModelMetric(
                    item.model_id,
                    metric,
                    dataset_name=item.dataset_name or None,
                    dataset_digest=item.dataset_digest or None,
                )
            )
        except InvalidParameter as error:
            raise InvalidParameter(f"{field}[{index}]: {error.message}") from None
    return plain, linked


def model_metric_to_wire(item: LoggedModelMetric) -> WireModelMetric:
    """Return the wire form of a model's metric point, with its model, run and dataset."""
    metric = item.metric
    return WireModelMetric(
        metric.key,
        wire_number(metric.value),
        metric.timestamp,
        metric.step,
        dataset_name=item.dataset_name,
        dataset_digest=item.dataset_digest,
        model_id=item.model_id,
        run_id=item.run_id or None,
    )
