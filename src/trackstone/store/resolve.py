"""Pick the TrackingStore implementation for a tracking URI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trackstone.errors import InvalidParameter

if TYPE_CHECKING:
    from trackstone.config import Settings
    from trackstone.store.base import TrackingStore

__all__ = ["store_for_settings", "store_for_uri"]

_SQL_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")


def store_for_uri(uri: str, artifact_root: str) -> TrackingStore:
    """Open the store behind ``uri``: SqlStore for SQLite and PostgreSQL URIs.

    Tracking servers (``http(s)://``) are the client's business: ``RestStore`` lives in
    the client layer, which this layer must not import. ``trackstone.client.stores`` picks
    between the two.

    Raises:
        InvalidParameter: for http(s) URIs and unknown schemes.
    """
    if uri.startswith(_SQL_SCHEMES):
        # Imported here: SQLAlchemy must not load with ``import trackstone``.
        from trackstone.store.sql.store import SqlStore

        return SqlStore(uri, artifact_root)
    if uri.startswith(("http://", "https://")):
        raise InvalidParameter(
            f"tracking URI {uri!r}: a server URI; open it with"
            " trackstone.client.stores.store_for_settings (a RestStore)"
        )
    raise InvalidParameter(
        f"tracking URI {uri!r}: expected sqlite:///<path>, postgresql://... or http(s)://..."
    )


def store_for_settings(settings: Settings) -> TrackingStore:
    """Open the store that ``settings.tracking_uri`` names, with its artifact root."""
    return store_for_uri(settings.tracking_uri, settings.artifact_root)
