"""The logged model tables as SQLAlchemy Core objects (migration 0002 owns their DDL)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from trackstone.store.sql.schema import metadata

__all__ = ["logged_model_params", "logged_model_tags", "logged_models"]

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
