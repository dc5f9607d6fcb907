"""``trackstone sync``: ship every spool that a dead process left behind, whatever its store.

Each orphaned spool names its tracking URI in its header. ``sync_spools`` adopts them all,
groups them by URI, builds one store per URI and ships until drained or until the timeout::

    scan spool_dir ── locked by a live process ──► counted as live, left alone
        │ orphan (flock taken)
        ▼
    group by tracking URI ── SQLite file missing / store cannot open ──► left, error reported
        │
        ▼
    SHIPPING (Sender.ship_once; transient failure → back off 0.1 s .. 5 s, until timeout_s)
        │ drained                          │ timeout
        ▼                                  ▼
    deleted with its sidecar         unlocked, left for the next sync
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trackstone.client.sender import Backoff, RecordSink, Round, Sender
from trackstone.client.spool import SPOOL_SUFFIX, SpoolFile, find_orphans
from trackstone.config import Settings

__all__ = ["SyncReport", "sync_spools"]

logger = logging.getLogger(__name__)

StoreFactory = Callable[[Settings], RecordSink]
# Called with (bytes shipped so far, bytes to ship in total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncReport:
    """What ``sync_spools`` found and did.

    Attributes:
        spools_found: spool files in the folder, live ones included.
        spools_live: spools held by a running process (not touched).
        spools_synced: orphans fully shipped and deleted.
        spools_left: orphans still holding unstored records (store unavailable, timeout).
        records_sent: records the stores accepted.
        records_rejected: records the stores refused for good (logged at ERROR).
        tracking_uris: the tracking URIs the orphans belonged to.
        errors: one line per tracking URI that could not be synced, and why.
    """

    spools_found: int = 0
    spools_live: int = 0
    spools_synced: int = 0
    spools_left: int = 0
    records_sent: int = 0
    records_rejected: int = 0
    tracking_uris: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether every orphan was shipped."""
        return self.spools_left == 0 and not self.errors


def _default_store_factory(settings: Settings) -> RecordSink:
    from trackstone.client.stores import store_for_settings

    store: RecordSink = store_for_settings(settings)
    return store


def _missing_database(uri: str) -> bool:
    """A SQLite file that vanished must not be re-created empty (its runs would not exist)."""
    if not uri.startswith("sqlite:///") or ":memory:" in uri:
        return False
    return not Path(uri[len("sqlite:///") :]).is_file()


def sync_spools(
    settings: Settings,
    store_factory: StoreFactory | None = None,
    progress: Progress | None = None,
    *,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Ship every orphaned spool in ``settings.spool_dir`` to the store it was written for.

    Args:
        settings: ``spool_dir`` is scanned; each store is built from
            ``settings.with_tracking_uri(<the spool's URI>)``.
        store_factory: builds a store from settings (default:
            ``trackstone.client.stores.store_for_settings``); stores built are closed after.
        progress: called with (bytes shipped, bytes in total) as acks advance.
        timeout_s: how long to wait between retries of an unavailable store, in total per
            tracking URI (default ``settings.flush_timeout_s``).
        sleep: waits between retries (injectable for tests).

    Returns:
        A ``SyncReport``; orphans that could not be shipped stay for the next sync.

    Example:
        >>> report = sync_spools(Settings.from_env())
        >>> print(report.spools_synced, report.records_sent)
    """
    factory = store_factory or _default_store_factory
    budget_s = settings.flush_timeout_s if timeout_s is None else timeout_s
    found = sum(1 for p in _listdir(settings.spool_dir) if p.endswith(SPOOL_SUFFIX))
    orphans = find_orphans(settings.spool_dir)
    by_uri: dict[str, list[SpoolFile]] = {}
    for orphan in orphans:
        by_uri.setdefault(orphan.header.tracking_uri, []).append(orphan)
    total_bytes = sum(max(0, spool.size - spool.acked) for spool in orphans)
    done_bytes = 0

    def advance(nbytes: int) -> None:
        nonlocal done_bytes
        done_bytes += nbytes
        if progress is not None:
            progress(min(done_bytes, total_bytes), total_bytes)

    synced = left = sent = rejected = 0
    errors: list[str] = []
    for uri, spools in by_uri.items():
        outcome = _sync_one(settings, uri, spools, factory, advance, budget_s, sleep)
        synced += outcome.spools_synced
        left += outcome.spools_left
        sent += outcome.records_sent
        rejected += outcome.records_rejected
        errors.extend(outcome.errors)
    return SyncReport(
        spools_found=found,
        spools_live=found - len(orphans),
        spools_synced=synced,
        spools_left=left,
        records_sent=sent,
        records_rejected=rejected,
        tracking_uris=tuple(by_uri),
        errors=tuple(errors),
    )


def _listdir(path: Path) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def _sync_one(
    settings: Settings,
    uri: str,
    spools: list[SpoolFile],
    factory: StoreFactory,
    advance: Callable[[int], None],
    budget_s: float,
    sleep: Callable[[float], None],
) -> SyncReport:
    """Ship the orphans of one tracking URI; release whatever is left."""
    if _missing_database(uri):
        for spool in spools:
            spool.close()
        return SyncReport(spools_left=len(spools), errors=(f"{uri}: database file not found",))
    try:
        store = factory(settings.with_tracking_uri(uri))
    except Exception as error:
        logger.warning("cannot open the store %s", uri, exc_info=True)
        for spool in spools:
            spool.close()
        return SyncReport(spools_left=len(spools), errors=(f"{uri}: {error}",))
    sender = Sender(store, on_progress=advance)
    for spool in spools:
        sender.add(spool)
    try:
        finished = _drain(sender, budget_s, sleep)
    finally:
        left = len(sender.spools())
        sender.release()
        close = getattr(store, "close", None)
        if callable(close):
            close()
    errors = () if finished else (f"{uri}: store unavailable; {left} spool(s) left",)
    return SyncReport(
        spools_synced=sender.stats.spools_finished,
        spools_left=left,
        records_sent=sender.stats.records_sent,
        records_rejected=sender.stats.records_rejected,
        errors=errors,
    )


def _drain(sender: Sender, budget_s: float, sleep: Callable[[float], None]) -> bool:
    """Ship rounds until no spool is left, backing off on transient failures; False on timeout."""
    backoff = Backoff()
    waited_s = 0.0
    while sender.spools():
        outcome = sender.ship_once()
        if outcome is not Round.RETRY:
            backoff.reset()
            continue
        delay_s = backoff.next_delay_s()
        if waited_s + delay_s > budget_s:
            return False
        sleep(delay_s)
        waited_s += delay_s
    return True
