"""Tar archives built in memory for tests, hostile members included."""

from __future__ import annotations

import io
import tarfile
from typing import Any

__all__ = ["archive", "member"]


def member(name: str, kind: bytes = tarfile.REGTYPE, **fields: Any) -> tarfile.TarInfo:
    """Return a member header named ``name`` of type ``kind``, with ``fields`` set on it."""
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def archive(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    """Return a PAX tar archive of ``(header, data)`` pairs (data None: no data, as a link)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as built:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            built.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()
