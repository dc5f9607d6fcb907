"""Alembic migrations of the tracking schema, run programmatically (see ``migrate.py``)."""
