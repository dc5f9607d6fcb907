"""The logged model tables as SQLAlchemy Core objects (migrations 0002 and 0005 own the DDL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trackstone.store.sql.schema import KEY, metadata, run_fk

__all__ = [
    "logged_model_metrics",
    "logged_model_params",
    "logged_model_tags",
    "logged_models",
    "run_model_inputs",
    "run_model_outputs",
]


logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_message", Text, nullable=False),
    Column("model_type", String(500), nullable=False),
    Column("source_run_id", String(32), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
)


def _key_value_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column(
            "model_id",
            String(64),
            ForeignKey("logged_models.model_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("key", String(250), primary_key=True),
        Column("value", Text, nullable=False),
    )


logged_model_tags = _key_value_table("logged_model_tags")
logged_model_params = _key_value_table("logged_model_params")


# Models a run consumed and produced; model ids need not name a stored model, as in MLflow.
run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    run_fk(),
    Column("model_id", String(64), primary_key=True),
)
run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    run_fk(),
    Column("model_id", String(64), primary_key=True),
    Column("step", BigInteger, nullable=False),
)

# Metric points of runs recorded against models; "" in a dataset column means no dataset.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("metric_pk", KEY, primary_key=True, autoincrement=True),
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("run_id", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("is_negative_zero", Boolean, nullable=False),
    Column("dataset_name", String(500), nullable=False),
    Column("dataset_digest", String(36), nullable=False),
    UniqueConstraint(
        "model_id",
        "key",
        "run_id",
        "step",
        "timestamp",
        "value",
        "is_nan",
        "dataset_name",
        "dataset_digest",
        name="uq_logged_model_metrics_point",
    ),
)
