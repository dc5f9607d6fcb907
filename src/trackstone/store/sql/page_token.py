"""Opaque page tokens: an offset or a position, a snapshot bound and a fingerprint of the query.

A token is URL-safe base64 of a small JSON object with a checksum. Decoding refuses tokens that
are malformed, altered, or made for another query, with ``InvalidParameter``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from trackstone.entities.validation import is_int64
from trackstone.errors import InvalidParameter

__all__ = ["PageToken", "decode_token", "encode_token", "fingerprint"]

_VERSION = 1


def fingerprint(*parts: object) -> str:
    """Return a short, process-independent digest of the query a token belongs to."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _checksum(body: dict[str, Any]) -> str:
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(b"trackstone-page:" + blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class PageToken:
    """Where the next page starts.

    ``offset`` counts rows already returned; ``bound`` is the highest primary key that existed
    when the first page was read (rows added later are not visited); ``position`` holds the
    sort values of the last row for keyset pagination.
    """

    fingerprint: str
    offset: int = 0
    bound: int | None = None
    position: tuple[Any, ...] | None = None


def encode_token(token: PageToken) -> str:
    """Return the opaque text form of ``token``."""
    body: dict[str, Any] = {"v": _VERSION, "f": token.fingerprint, "o": token.offset}
    if token.bound is not None:
        body["b"] = token.bound
    if token.position is not None:
        body["p"] = list(token.position)
    body["c"] = _checksum(body)
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid(text: str) -> InvalidParameter:
    shown = text if len(text) <= 40 else text[:40] + "..."
    return InvalidParameter(f"page_token: {shown!r} is not a valid page token for this query")


def decode_token(text: str, expected_fingerprint: str) -> PageToken:
    """Parse ``text`` and check it belongs to the query with ``expected_fingerprint``."""
    try:
        padded = text + "=" * (-len(text) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        raise _invalid(text) from None
    if not isinstance(body, dict) or body.get("v") != _VERSION:
        raise _invalid(text)
    check = body.pop("c", None)
    if check != _checksum(body) or body.get("f") != expected_fingerprint:
        raise _invalid(text)
    offset, bound, position = body.get("o"), body.get("b"), body.get("p")
    # Tokens are checked, not signed: a forged number must not overflow a database integer.
    if not is_int64(offset) or offset < 0:
        raise _invalid(text)
    if bound is not None and not is_int64(bound):
        raise _invalid(text)
    if position is not None and not isinstance(position, list):
        raise _invalid(text)
    return PageToken(
        fingerprint=expected_fingerprint,
        offset=offset,
        bound=bound,
        position=tuple(position) if position is not None else None,
    )
