"""What every CLI command shares: the settings from global flags and a lazily opened store."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from trackstone.config import Settings
from trackstone.store.base import TrackingStore

__all__ = ["CliState", "pass_state"]


@dataclass
class CliState:
    """Global options plus the store, opened on first use and closed when the command ends."""

    tracking_uri: str | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _store: TrackingStore | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """Return settings: ``--tracking-uri`` wins over the environment and defaults."""
        if self._settings is None:
            self._settings = Settings.from_env(tracking_uri=self.tracking_uri)
        return self._settings

    @property
    def store(self) -> TrackingStore:
        """Return the tracking store for the settings, opening it on first use."""
        if self._store is None:
            from trackstone.client.stores import store_for_settings

            self._store = store_for_settings(self.settings)
        return self._store

    def close(self) -> None:
        """Close the store if a command opened it."""
        if self._store is not None:
            self._store.close()
            self._store = None


pass_state = click.make_pass_decorator(CliState)
