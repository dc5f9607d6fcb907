"""Pick the TrackingStore a client holds: RestStore for http(s) URIs, else the SQL store.

This lives in the client layer because ``RestStore`` does: the store layer must not import
the client, so ``trackstone.store.resolve`` knows only database URIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trackstone.config import Settings
    from trackstone.store.base import TrackingStore

__all__ = ["is_remote_uri", "store_for_settings"]

_REMOTE_SCHEMES = ("http://", "https://")


def is_remote_uri(uri: str) -> bool:
    """Return whether ``uri`` names a tracking server (``http://`` or ``https://``)."""
    return uri.lower().startswith(_REMOTE_SCHEMES)


def store_for_settings(settings: Settings) -> TrackingStore:
    """Open the store ``settings.tracking_uri`` names.

    A server URI gives a ``RestStore`` with the credentials of ``settings``; a database URI
    gives what ``trackstone.store.resolve.store_for_settings`` gives.

    Raises:
        InvalidParameter: the URI's scheme is not supported.
    """
    if is_remote_uri(settings.tracking_uri):
        # Imported here: requests must not load with ``import trackstone``.
        from trackstone.client.rest_store import RestStore

        return RestStore(settings.tracking_uri, settings)
    from trackstone.store import resolve

    return resolve.store_for_settings(settings)
