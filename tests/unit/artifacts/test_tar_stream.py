"""Folder tar streams: what ``tar_blocks`` builds, which members ``tar_members`` refuses."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable

import pytest

from support.tar_archives import archive, member
from trackstone.artifacts.tar_stream import check_member, tar_blocks, tar_members
from trackstone.errors import InvalidParameter


def _opener(data: bytes) -> Callable[[], tuple[io.BytesIO, int]]:
    return lambda: (io.BytesIO(data), len(data))


def _read_all(body: bytes) -> list[tuple[str, bool, bytes | None]]:
    return [
        (name, is_dir, None if data is None else data.read())
        for name, is_dir, data in tar_members(io.BytesIO(body))
    ]


def test_blocks_round_trip_through_members() -> None:
    files = {
        "a.txt": b"alpha",
        "deep/er/b.bin": bytes(range(256)) * 9,
        "empty": b"",
        "n" * 120 + "/long-name.txt": b"long",
        "unicodé/ü.txt": "ü".encode(),
    }
    body = b"".join(tar_blocks([(name, _opener(data)) for name, data in files.items()], 1000))
    assert _read_all(body) == [(name, False, data) for name, data in files.items()]


def test_blocks_stay_bounded_and_big_files_go_in_pieces() -> None:
    big = b"x" * 10_000
    blocks = list(tar_blocks([("small", _opener(b"s")), ("big", _opener(big))], 4096))
    assert max(len(block) for block in blocks) <= 4096 + 2 * 512
    assert blocks.count(b"x" * 4096) == 2  # whole pieces of the big file, not copied into others
    assert b"".join(blocks).endswith(bytes(1024))


def test_a_vanished_file_is_left_out() -> None:
    body = b"".join(tar_blocks([("gone", lambda: None), ("kept", _opener(b"k"))]))
    assert _read_all(body) == [("kept", False, b"k")]


def test_a_file_that_shrinks_while_sent_fails() -> None:
    blocks = tar_blocks([("shrunk", lambda: (io.BytesIO(b"ab"), 5))])
    with pytest.raises(InvalidParameter, match=r"shrunk.*shrank"):
        list(blocks)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        (member("link", tarfile.SYMTYPE, linkname="/etc/passwd"), "not a symlink"),
        (member("hard", tarfile.LNKTYPE, linkname="a.txt"), "not a hard link"),
        (member("dev", tarfile.CHRTYPE), "not a character device"),
        (member("blk", tarfile.BLKTYPE), "not a block device"),
        (member("fifo", tarfile.FIFOTYPE), "not a FIFO"),
        (member("cont", tarfile.CONTTYPE), "not a contiguous file"),
        (member("sparse", tarfile.GNUTYPE_SPARSE), "not a sparse file"),
        (member("/etc/passwd"), "must be relative"),
        (member("../escape"), r"'\.\.'"),
        (member("a/../../b"), r"'\.\.'"),
        (member("back\\slash"), "backslashes"),
        (member("nul\x00byte"), "control characters"),
        (member("C:/windows"), "drive letter"),
        (member("%2e%2e/x"), "decodes to"),
        (member("a/.trackstone-tmp-1234"), "reserved"),
        (member("."), "a file needs a name"),
    ],
)
def test_refused_members_name_themselves(info: tarfile.TarInfo, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as raised:
        check_member(info)
    assert repr(info.name) in raised.value.message


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (member("./a//b/"), "a/b"),
        (member("dir/", tarfile.DIRTYPE), "dir"),
        (member("plain", tarfile.AREGTYPE), "plain"),
    ],
)
def test_accepted_members_get_their_normal_path(info: tarfile.TarInfo, expected: str) -> None:
    assert check_member(info) == expected


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([(member("a"), b"1"), (member("a"), b"2")], "already in the archive"),
        ([(member("a"), b"1"), (member("a/b"), b"2")], "'a' is a file"),
        ([(member("a/b"), b"1"), (member("a"), b"2")], "already in the archive"),
        ([(member("d", tarfile.DIRTYPE), None), (member("d"), b"2")], "already in the archive"),
    ],
)
def test_conflicting_paths_are_refused(
    members: list[tuple[tarfile.TarInfo, bytes | None]], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        _read_all(archive(*members))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "at its start"),
        (b"garbage" * 200, "at its start"),
        (archive((member("a.txt"), b"x" * 3000))[:1500], r"member 'a.txt'.*truncated"),
    ],
)
def test_malformed_archives_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        _read_all(body)
