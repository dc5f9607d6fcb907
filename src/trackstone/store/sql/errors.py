"""Translate database exceptions into Trackstone's error tree, so none escapes a public method."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from trackstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameter,
    ServiceUnavailable,
    TrackstoneError,
)

__all__ = ["translate_errors", "translated"]

logger = logging.getLogger(__name__)

# Substrings of driver messages meaning "try again later" rather than "you did something wrong".
_TRANSIENT_MARKERS = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "unable to open database",
    "disk i/o error",
    "could not connect",
    "connection refused",
    "connection failed",
    "server closed the connection",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "connection timeout",
    "queuepool limit",
    "deadlock detected",
    "could not serialize access",
)
_UNIQUE_MARKERS = ("unique constraint", "duplicate key", "unique violation")


def _is_a(error: Exception, wrapped: type[Exception], dbapi_name: str) -> bool:
    """Whether ``error`` is SQLAlchemy's ``wrapped`` class or a driver's DB-API class of that
    name (the hot paths use the driver cursor, whose errors SQLAlchemy never wraps)."""
    if isinstance(error, wrapped):
        return True
    return any(cls.__name__ == dbapi_name for cls in type(error).__mro__)


def translated(error: Exception) -> TrackstoneError:
    """Return the Trackstone error that stands for a database or driver exception."""
    if isinstance(error, TrackstoneError):
        return error
    message = str(getattr(error, "orig", None) or error)
    lowered = message.lower()
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return ServiceUnavailable(f"database connection lost: {message}")
    if isinstance(error, exc.TimeoutError) or any(m in lowered for m in _TRANSIENT_MARKERS):
        return ServiceUnavailable(f"database temporarily unavailable: {message}")
    if _is_a(error, exc.IntegrityError, "IntegrityError") and any(
        m in lowered for m in _UNIQUE_MARKERS
    ):
        return AlreadyExists(f"already exists: {message}")
    if _is_a(error, exc.DataError, "DataError"):
        return InvalidParameter(f"value refused by the database: {message}")
    if isinstance(error, OSError):
        return ServiceUnavailable(f"cannot open the database: {message}")
    if isinstance(error, exc.InterfaceError):
        return ServiceUnavailable(f"database connection failed: {message}")
    logger.error("unexpected database error", exc_info=error)
    return InternalError(f"unexpected database error: {type(error).__name__}: {message}")


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise any SQLAlchemy or driver exception raised inside as a ``TrackstoneError``."""
    try:
        yield
    except TrackstoneError:
        raise
    except (exc.SQLAlchemyError, OSError) as error:
        raise translated(error) from error
    except Exception as error:
        # Driver exceptions that SQLAlchemy did not wrap (e.g. raised while connecting).
        if type(error).__module__.split(".")[0] in ("sqlite3", "psycopg", "psycopg_pool"):
            raise translated(error) from error
        raise
