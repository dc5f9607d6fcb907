"""Link runs and logged models: the models a run consumed and produced, and model metrics.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# INTEGER on SQLite so that the column aliases the rowid; BIGINT elsewhere.
_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _run_fk() -> sa.Column[int]:
    return sa.Column(
        "run_pk",
        _KEY,
        sa.ForeignKey("runs.run_pk", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    )


def upgrade() -> None:
    # No foreign key to logged_models: MLflow records a link to any model id, and a run's
    # links outlive the model's row.
    op.create_table(
        "run_model_inputs",
        _run_fk(),
        sa.Column("model_id", sa.String(64), primary_key=True),
    )
    op.create_table(
        "run_model_outputs",
        _run_fk(),
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column("step", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "logged_model_metrics",
        # Recording order, which is the order a model's metrics are listed in.
        sa.Column("metric_pk", _KEY, primary_key=True, autoincrement=True),
        sa.Column(
            "model_id",
            sa.String(64),
            sa.ForeignKey("logged_models.model_id", ondelete="CASCADE"),
            nullable=False,
        ),
        # No foreign key: a model's metrics stay when the run that logged them is purged.
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("is_negative_zero", sa.Boolean, nullable=False),
        # "" when the point names no dataset, so that the point's identity has no NULL.
        sa.Column("dataset_name", sa.String(500), nullable=False),
        sa.Column("dataset_digest", sa.String(36), nullable=False),
        # A retried point is stored once.
        sa.UniqueConstraint(
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


def downgrade() -> None:
    for table in ("logged_model_metrics", "run_model_outputs", "run_model_inputs"):
        op.drop_table(table)
