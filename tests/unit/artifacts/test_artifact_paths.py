"""Unit tests of artifact path normalisation and confinement (``trackstone.artifacts.paths``)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackstone.artifacts.paths import confined_path, is_inside, safe_relative_path
from trackstone.errors import InvalidParameter


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, ""),
        ("", ""),
        (".", ""),
        ("./", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a/./b", "a/b"),
        ("./a", "a"),
        ("a//b", "a/b"),
        ("a/", "a"),
        ("a/b///", "a/b"),
        ("...", "..."),
        ("a/..b/c..", "a/..b/c.."),
        (".hidden/.x", ".hidden/.x"),
        ("model v1/weights (final).bin", "model v1/weights (final).bin"),
        ("données/模型.pkl", "données/模型.pkl"),
        ("run:1/x", "run:1/x"),
        ("x/c:/y", "x/c:/y"),
        ("~/x", "~/x"),
        # Escapes that decode to harmless text are kept literally, never decoded.
        ("report%20final.txt", "report%20final.txt"),
        ("100%", "100%"),
        ("%zz", "%zz"),
        ("x/%2e/y", "x/%2e/y"),
        ("a%2e%2eb", "a%2e%2eb"),
        ("x" * 255, "x" * 255),
    ],
)
def test_safe_relative_path_normalises(path: str | None, expected: str) -> None:
    assert safe_relative_path(path) == expected


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("..", "'..' segments"),
        ("../x", "'..' segments"),
        ("a/..", "'..' segments"),
        ("a/../b", "'..' segments"),
        ("a/../../b", "'..' segments"),
        ("a/b/../../..", "'..' segments"),
        ("./../x", "'..' segments"),
        ("a/./../b", "'..' segments"),
        ("/etc/passwd", "must be relative, not absolute"),
        ("/", "must be relative, not absolute"),
        ("//server/share", "must be relative, not absolute"),
        ("C:\\x", "backslashes"),
        ("C:x", "drive letter"),
        ("a:b", "drive letter"),
        ("c:/windows/system32", "drive letter"),
        ("./C:", "drive letter"),
        (".//d:/x", "drive letter"),
        ("a\\..\\b", "backslashes"),
        ("a\\b", "backslashes"),
        ("..\\x", "backslashes"),
        ("a\x00b", "control characters"),
        ("a\nb", "control characters"),
        ("a\rb", "control characters"),
        ("a\tb", "control characters"),
        ("a\x1bb", "control characters"),
        ("a\x7fb", "control characters"),
        ("a\x85b", "control characters"),
        ("%2e%2e", "decodes to '..'"),
        ("%2e%2e/x", "decodes to '../x'"),
        ("%2E%2E/x", "decodes to '../x'"),
        ("a/%2e%2e/b", "decodes to 'a/../b'"),
        ("..%2fx", "decodes to '../x'"),
        ("%2e%2e%2fetc%2fpasswd", "decodes to '../etc/passwd'"),
        ("%2fetc/passwd", "decodes to '/etc/passwd'"),
        ("a%2fb", "percent-encoded '/'"),
        ("a%2Fb", "percent-encoded '/'"),
        ("%252e%252e", "decodes to '..'"),
        ("%252e%252e/x", "decodes to '../x'"),
        ("%25252e%25252e/x", "decodes to '../x'"),
        ("a%252fb", "percent-encoded '/'"),
        ("..%5cx", "decodes to '..\\\\x'"),
        ("a%5cb", "backslashes"),
        ("a%00b", "control characters"),
        ("a%250ab", "control characters"),
        ("C%3a/x", "drive letter"),
        ("%2525252525252e", "percent-encoded that many times"),
        ("x" * 256, "at most 255 bytes"),
        ("a/" + "é" * 128, "at most 255 bytes"),
    ],
)
def test_safe_relative_path_refuses(path: str, reason: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        safe_relative_path(path)
    assert reason in caught.value.message
    assert repr(path) in caught.value.message


@pytest.mark.parametrize("value", [b"a/b", 3, ["a"], Path("a")])
def test_safe_relative_path_refuses_non_strings(value: object) -> None:
    with pytest.raises(InvalidParameter, match="must be a string"):
        safe_relative_path(value)  # type: ignore[arg-type]


@given(st.text(alphabet=st.sampled_from("ab./\\%25ef2:\x00 C"), max_size=24))
def test_accepted_paths_are_normal_and_stay_inside(text: str) -> None:
    try:
        normal = safe_relative_path(text)
    except InvalidParameter:
        return
    assert safe_relative_path(normal) == normal
    assert ".." not in normal.split("/")
    assert not normal.startswith("/") and not normal.endswith("/")
    joined = posixpath.normpath(posixpath.join("/root", normal))
    assert joined == "/root" or joined.startswith("/root/")


@pytest.mark.parametrize(
    ("root", "candidate", "expected"),
    [
        ("/r", "/r", True),
        ("/r", "/r/a", True),
        ("/r", "/rx", False),
        ("/r", "/", False),
        ("/r/a", "/r", False),
        ("/", "/anything", True),
    ],
)
def test_is_inside(root: str, candidate: str, expected: bool) -> None:
    assert is_inside(root, candidate) is expected


def test_confined_path_joins_under_the_real_root(tmp_path: Path) -> None:
    real_root = tmp_path / "real"
    real_root.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real_root)
    assert confined_path(alias, None) == str(real_root)
    assert confined_path(alias, "a/./b/") == str(real_root / "a" / "b")


def test_confined_path_follows_symlinks_that_stay_inside(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert confined_path(tmp_path, "link/f.txt") == str(tmp_path / "data" / "f.txt")


@pytest.mark.parametrize(
    "path",
    ["escape", "escape/secret.txt", "escape/new/deeper.txt", "inner/escape/secret.txt", "file"],
)
def test_confined_path_refuses_symlinks_leading_out(tmp_path: Path, path: str) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "inner").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "escape").symlink_to(outside)
    (root / "inner" / "escape").symlink_to(outside)
    (root / "file").symlink_to(outside / "secret.txt")
    with pytest.raises(InvalidParameter, match="resolves outside the artifact root"):
        confined_path(root, path)


def test_confined_path_refuses_dangling_symlink_leading_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "dangling").symlink_to(tmp_path / "not-yet-there.txt")
    with pytest.raises(InvalidParameter, match="resolves outside"):
        confined_path(root, "dangling")
    assert not os.path.lexists(tmp_path / "not-yet-there.txt")


def test_confined_path_refuses_relative_symlink_climbing_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "up").symlink_to(Path("..") / "..")
    with pytest.raises(InvalidParameter, match="resolves outside"):
        confined_path(root, "a/up/x")
