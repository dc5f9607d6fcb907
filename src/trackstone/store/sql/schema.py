"""The tables of the tracking store as SQLAlchemy Core objects (migrations own the DDL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "KEY",
    "VERSION_TABLE",
    "datasets",
    "experiment_tags",
    "experiments",
    "input_tags",
    "inputs",
    "latest_metrics",
    "metadata",
    "metrics",
    "params",
    "run_fk",
    "runs",
    "tags",
]

VERSION_TABLE = "trackstone_schema_version"

metadata = MetaData()

# An auto-incrementing key: INTEGER on SQLite (the rowid alias), BIGINT elsewhere.
KEY = BigInteger().with_variant(Integer(), "sqlite")

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
    Column("deleted_time", BigInteger),
    sqlite_autoincrement=True,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_pk", KEY, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), nullable=False, unique=True),
    Column("name", String(250), nullable=False),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(256), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("artifact_uri", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("deleted_time", BigInteger),
    # True when the run was deleted by deleting its experiment (restored with it).
    Column("deleted_with_experiment", Boolean, nullable=False),
    sqlite_autoincrement=True,
)


def run_fk() -> Column[int]:
    """A ``run_pk`` column, part of its table's primary key, deleted with its run."""
    return Column("run_pk", KEY, ForeignKey("runs.run_pk", ondelete="CASCADE"), primary_key=True)


params = Table(
    "params",
    metadata,
    run_fk(),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

tags = Table(
    "tags",
    metadata,
    run_fk(),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    run_fk(),
    Column("key", String(250), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("timestamp", BigInteger, primary_key=True),
    Column("value", Double, primary_key=True),
    Column("is_nan", Boolean, primary_key=True),
    # SQLite stores -0.0 as 0 in a REAL column: this flag brings the sign back.
    Column("is_negative_zero", Boolean, nullable=False),
    sqlite_with_rowid=False,
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    run_fk(),
    Column("key", String(250), primary_key=True),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("is_negative_zero", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_pk", KEY, primary_key=True, autoincrement=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text),
    Column("profile", Text),
)

inputs = Table(
    "inputs",
    metadata,
    Column("input_pk", KEY, primary_key=True, autoincrement=True),
    Column("run_pk", KEY, ForeignKey("runs.run_pk", ondelete="CASCADE"), nullable=False),
    Column(
        "dataset_pk", KEY, ForeignKey("datasets.dataset_pk", ondelete="CASCADE"), nullable=False
    ),
    # The mlflow.data.context tag ('' when absent): a dataset is one input per context.
    Column("context", String(500), nullable=False),
)

input_tags = Table(
    "input_tags",
    metadata,
    Column(
        "input_pk",
        KEY,
        ForeignKey("inputs.input_pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", String(500), nullable=False),
)
