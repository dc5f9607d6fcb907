"""Database errors become Trackstone errors; generated run names look right."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc

from trackstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameter,
    ServiceUnavailable,
    TrackstoneError,
)
from trackstone.store.resolve import store_for_uri
from trackstone.store.sql.errors import translate_errors, translated
from trackstone.store.sql.run_names import generate_run_name


def _wrapped(cls: type[exc.DBAPIError], message: str) -> exc.DBAPIError:
    return cls("INSERT ...", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_wrapped(exc.OperationalError, "database is locked"), ServiceUnavailable),
        (_wrapped(exc.OperationalError, "unable to open database file"), ServiceUnavailable),
        (_wrapped(exc.OperationalError, "connection refused"), ServiceUnavailable),
        (_wrapped(exc.IntegrityError, "UNIQUE constraint failed: experiments.name"), AlreadyExists),
        (_wrapped(exc.IntegrityError, "NOT NULL constraint failed: runs.name"), InternalError),
        (_wrapped(exc.ProgrammingError, "no such table: runs"), InternalError),
        (exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), ServiceUnavailable),
        (sqlite3.OperationalError("database is locked"), ServiceUnavailable),
        # Raised by the driver cursor of the hot paths, never wrapped by SQLAlchemy.
        (psycopg.DataError("text fields cannot contain NUL (0x00) bytes"), InvalidParameter),
        (sqlite3.DataError("string or blob too big"), InvalidParameter),
        (psycopg.errors.UniqueViolation("duplicate key value"), AlreadyExists),
        (sqlite3.IntegrityError("UNIQUE constraint failed: runs.name"), AlreadyExists),
    ],
)
def test_translation(error: Exception, expected: type[TrackstoneError]) -> None:
    assert type(translated(error)) is expected
    with pytest.raises(expected), translate_errors():
        raise error


def test_unrelated_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), translate_errors():
        raise KeyError("x")


def test_unreachable_sqlite_file_is_service_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(ServiceUnavailable, match="cannot open"):
        store_for_uri(f"sqlite:///{blocker}/sub/t.db", str(tmp_path))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://localhost:5000", "RestStore"),
        ("https://example.invalid", "RestStore"),
        ("mysql://u@h/db", "expected sqlite"),
    ],
)
def test_resolve_refuses(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        store_for_uri(uri, "/tmp/artifacts")


def test_generated_run_names() -> None:
    names = {generate_run_name() for _ in range(50)}

    assert all(re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", name) for name in names)
    assert len(names) > 1


def test_data_errors_are_invalid_parameters() -> None:
    error = _wrapped(exc.DataError, "value too long for type character varying(256)")

    assert type(translated(error)) is InvalidParameter
