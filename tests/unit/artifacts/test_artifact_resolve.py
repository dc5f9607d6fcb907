"""Unit tests of picking an artifact repository by URI (``trackstone.artifacts.resolve``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackstone.artifacts.local import LocalArtifactRepository
from trackstone.artifacts.resolve import repository_for_uri, uri_scheme
from trackstone.errors import InvalidParameter


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/srv/artifacts", ""),
        ("relative/artifacts", ""),
        ("C:\\runs\\artifacts", ""),
        ("c:/runs", ""),
        ("file:///srv", "file"),
        ("FILE:///srv", "file"),
        ("s3://bucket/key", "s3"),
        ("mlflow-artifacts:/1/abc", "mlflow-artifacts"),
        ("https://host/x", "https"),
        ("./odd:name", ""),
    ],
)
def test_uri_scheme(uri: str, expected: str) -> None:
    assert uri_scheme(uri) == expected


@pytest.mark.parametrize(
    ("uri", "expected_root"),
    [
        ("/srv/artifacts/1/run/artifacts", "/srv/artifacts/1/run/artifacts"),
        ("file:///srv/artifacts", "/srv/artifacts"),
        ("file:///srv/my%20artifacts", "/srv/my artifacts"),
    ],
)
def test_local_uris_give_a_local_repository(uri: str, expected_root: str) -> None:
    repo = repository_for_uri(uri)
    assert isinstance(repo, LocalArtifactRepository)
    assert repo.root == Path(expected_root)


def test_repository_for_uri_round_trips_root_uri(tmp_path: Path) -> None:
    repo = repository_for_uri(str(tmp_path / "a b"))
    again = repository_for_uri(repo.root_uri)
    assert isinstance(again, LocalArtifactRepository)
    assert again.root == tmp_path / "a b"


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        ("gs://bucket/x", "gs"),
        ("hdfs://namenode/x", "hdfs"),
    ],
)
def test_other_schemes_are_refused_by_name(uri: str, scheme: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        repository_for_uri(uri)
    assert caught.value.message == f"unsupported artifact URI scheme {scheme!r} in {uri!r}"


@pytest.mark.parametrize("uri", ["", None, 3])
def test_empty_or_non_string_uri_is_refused(uri: object) -> None:
    with pytest.raises(InvalidParameter, match="must be a non-empty string"):
        repository_for_uri(uri)  # type: ignore[arg-type]
