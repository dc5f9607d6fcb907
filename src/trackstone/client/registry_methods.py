"""The model registry half of ``TrackstoneClient``: ``MlflowClient``'s registry methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trackstone.store.base import TrackingStore
    from trackstone.store.registry import RegistryStore

__all__ = ["RegistryMethods"]


class RegistryMethods:
    """Registered models, versions, aliases and stages (same names as ``MlflowClient``'s)."""

    @property
    def store(self) -> TrackingStore:
        raise NotImplementedError  # provided by TrackstoneClient

    @property
    def registry(self) -> RegistryStore:
        """The model registry of this client's tracking store."""
        from trackstone.store.registry import registry_of

        return registry_of(self.store)
