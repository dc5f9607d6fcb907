"""The SQL TrackingStore on SQLite and PostgreSQL (SQLAlchemy Core + Alembic)."""
