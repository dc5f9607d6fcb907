"""Index params and tags by (key, value, run_pk) on SQLite, for filters on them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The search compiles a param or tag filter into ``run_pk IN (SELECT run_pk ... WHERE key = ?
# AND <value test>)`` on SQLite; these indexes answer it without touching the tables.
# PostgreSQL keeps its EXISTS semi-joins: its B-tree rows cannot hold the longest values
# (params 6,000 and tags 8,000 characters), so it gets no such index.
_INDEXES = (
    ("ix_params_key_value", "params"),
    ("ix_tags_key_value", "tags"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table in _INDEXES:
        op.create_index(name, table, ["key", "value", "run_pk"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table in _INDEXES:
        op.drop_index(name, table_name=table)
