"""Encode request and response messages to JSON bytes with one shared msgspec encoder.

Non-finite metric values must already be their protobuf names ("NaN", "Infinity") in the
message (the ``*_to_wire`` functions do that): JSON numbers cannot carry them.
"""

from __future__ import annotations

import msgspec

__all__ = ["encode"]

_ENCODER = msgspec.json.Encoder()


def encode(message: msgspec.Struct) -> bytes:
    """Return the JSON body of a request or response message."""
    return _ENCODER.encode(message)
