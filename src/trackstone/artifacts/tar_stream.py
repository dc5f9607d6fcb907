"""Folders as uncompressed tar streams: built block by block, read member by member, names checked.

Both ends of ``/trackstone-artifacts/tar/<folder>`` (the server and ``ProxiedArtifactRepository``)
use this module, so they build and accept exactly the same archives.

Writing (``tar_blocks``): a generator of blocks of about ``block_bytes``; each file is opened
only when its turn comes and read in ``block_bytes`` pieces, so memory stays bounded whatever
the folder's size. Names are written in PAX format (UTF-8, any length).

Reading (``tar_members``): ``tarfile`` in stream mode (``r|``: no seeking, so a socket or a
request body will do). Every member is checked before anyone touches a file:

- only regular files (``REGTYPE``, ``AREGTYPE``) and folders; symlinks, hard links, devices,
  FIFOs, sparse and continuation members are refused;
- the name must pass ``safe_relative_path`` (no absolute names, ``..``, backslashes, NUL or
  other control characters) and must not use the name of an in-flight temporary file;
- a file must not come twice, nor be a parent folder of another member.

A refused member, a malformed header or data that ends early raises ``InvalidParameter``
naming the member (or the last good one).
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import IO, BinaryIO

from trackstone.artifacts.local import TEMP_PREFIX  # names of in-flight writes: never a member's
from trackstone.artifacts.paths import safe_relative_path
from trackstone.errors import InvalidParameter

__all__ = [
    "TAR_BLOCK_BYTES",
    "TAR_MEDIA_TYPE",
    "TAR_READ_BYTES",
    "TarEntry",
    "TarMember",
    "check_member",
    "tar_blocks",
    "tar_members",
]

TAR_MEDIA_TYPE = "application/x-tar"
TAR_BLOCK_BYTES = 1024 * 1024
# tarfile's stream reader keeps what it read ahead in one bytes object and copies the rest
# of it at every small read (each header): a large read-ahead made 500 small members cost
# ~0.25 s; 64 KiB costs little per member and still reads large members in big pieces.
TAR_READ_BYTES = 64 * 1024
_RECORD = tarfile.BLOCKSIZE
_FILE_TYPES = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE})
_KINDS = {
    tarfile.SYMTYPE: "symlink",
    tarfile.LNKTYPE: "hard link",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
    tarfile.CONTTYPE: "contiguous file",
    tarfile.GNUTYPE_SPARSE: "sparse file",
}

# What a writer needs of one file: its name in the archive, and how to open it (the open
# stream and its size in bytes; None if it vanished and is to be left out).
OpenFile = Callable[[], "tuple[BinaryIO, int] | None"]
TarEntry = tuple[str, OpenFile]
# One checked member: its normal relative path, whether it is a folder, and (for a file) its
# data, to be read before the next member is asked for.
TarMember = tuple[str, bool, "_MemberData | None"]


def tar_blocks(
    entries: Iterable[TarEntry], block_bytes: int = TAR_BLOCK_BYTES
) -> Generator[bytes, None, None]:
    """Yield an uncompressed tar archive of ``entries`` in blocks of about ``block_bytes``.

    Small files share a block; a large file goes out in ``block_bytes`` pieces, uncopied.

    Raises:
        InvalidParameter: a file ended before the size it had when opened.
    """
    pending = bytearray()
    for name, open_file in entries:
        opened = open_file()
        if opened is None:
            continue
        stream, size = opened
        with stream:
            info = tarfile.TarInfo(name)
            info.size = size
            info.mode = 0o644
            pending += info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            remaining = size
            while remaining:
                chunk = stream.read(min(block_bytes, remaining))
                if not chunk:
                    raise InvalidParameter(f"file {name!r}: shrank while it was being sent")
                remaining -= len(chunk)
                if len(chunk) >= block_bytes:
                    if pending:
                        yield bytes(pending)
                        pending.clear()
                    yield chunk
                else:
                    pending += chunk
                    if len(pending) >= block_bytes:
                        yield bytes(pending)
                        pending.clear()
        pending += bytes(-size % _RECORD)
    pending += bytes(2 * _RECORD)  # the end-of-archive marker
    yield bytes(pending)


def check_member(member: tarfile.TarInfo) -> str:
    """Return the normal relative path of an acceptable member (see the module docstring).

    Raises:
        InvalidParameter: the member's kind or name is refused; the message names it.
    """
    name = member.name
    if not (member.type in _FILE_TYPES or member.isdir()):
        kind = _KINDS.get(member.type, f"member of type {member.type!r}")
        raise InvalidParameter(
            f"tar member {name!r}: only regular files and folders are accepted, not a {kind}"
        )
    try:
        relative = safe_relative_path(name)
    except InvalidParameter as error:
        raise InvalidParameter(f"tar member {name!r}: {error.message}") from None
    if not relative and not member.isdir():
        raise InvalidParameter(f"tar member {name!r}: a file needs a name")
    if any(segment.startswith(TEMP_PREFIX) for segment in relative.split("/")):
        raise InvalidParameter(f"tar member {name!r}: names starting {TEMP_PREFIX!r} are reserved")
    return relative


class _Layout:
    """The paths seen so far in one archive: refuses a file twice or a file used as a folder."""

    def __init__(self) -> None:
        self._files: set[str] = set()
        self._folders: set[str] = set()

    def add(self, relative: str, name: str, is_dir: bool) -> None:
        if relative in self._files or (not is_dir and relative in self._folders):
            raise InvalidParameter(f"tar member {name!r}: its path is already in the archive")
        parts = relative.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent in self._files:
                raise InvalidParameter(f"tar member {name!r}: {parent!r} is a file, not a folder")
            self._folders.add(parent)
        (self._folders if is_dir else self._files).add(relative)


class _MemberData:
    """A member's data: reads that find the archive malformed raise ``InvalidParameter``."""

    def __init__(self, data: IO[bytes], name: str) -> None:
        self._data = data
        self._name = name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._data.read(size)
        except (tarfile.TarError, EOFError) as error:
            raise InvalidParameter(
                f"tar member {self._name!r}: its data is malformed or truncated ({error})"
            ) from None


def tar_members(stream: BinaryIO, read_bytes: int = TAR_READ_BYTES) -> Iterator[TarMember]:
    """Yield the checked members of the tar archive read from ``stream``, in order.

    A file's data must be read (or skipped) before the next member is asked for.

    Raises:
        InvalidParameter: a member is refused, or the archive is malformed or ends early.
    """
    layout = _Layout()
    last = None
    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=read_bytes) as archive:
            for member in archive:
                relative = check_member(member)
                last = member.name
                layout.add(relative, member.name, member.isdir())
                if member.isdir():
                    yield relative, True, None
                else:
                    data = archive.extractfile(member)
                    assert data is not None  # a regular file always has data
                    yield relative, False, _MemberData(data, member.name)
    except (tarfile.TarError, EOFError) as error:
        where = f"in or after member {last!r}" if last is not None else "at its start"
        raise InvalidParameter(f"tar archive: malformed or truncated {where} ({error})") from None
