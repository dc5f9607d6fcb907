"""MLflow's ``mlflow.artifacts`` functions on an embedded SQLite store in tmp_path."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import trackstone
from support.fluent_tracking import fluent_tracking
from trackstone.client import artifact_functions
from trackstone.client.artifact_functions import (
    download_artifacts,
    list_artifacts,
    load_dict,
    load_image,
    load_text,
    split_artifact_uri,
)
from trackstone.client.client import TrackstoneClient
from trackstone.client.fluent import get_client
from trackstone.config import Settings
from trackstone.errors import InvalidParameter, NotFound

TEXT_FILES = {
    "notes.txt": "hello",
    "dir/a.txt": "alpha",
    "dir/sub/b.json": '{"x": 1}',
    "conf.yaml": "lr: 0.1\nlayers: [3, 4]\n",
    "broken.json": "{not json",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point the fluent API (which the functions use by default) at a fresh data folder.

    One store per module: the tests below only read the run logged into it.
    """
    base = tmp_path_factory.mktemp("artifact-functions")
    with (
        pytest.MonkeyPatch.context() as patch,
        fluent_tracking(base / "data", base, patch, async_logging=False),
    ):
        yield base / "data"


def _log_files(client: TrackstoneClient, scratch: Path) -> str:
    run = client.create_run(client.create_experiment("artifacts"))
    run_id = run.info.run_id
    for path, text in TEXT_FILES.items():
        client.log_text(run_id, text, path)
    client.log_image(run_id, Image.new("RGB", (3, 2), (255, 0, 0)), "image.png")
    scratch.mkdir(exist_ok=True)
    (scratch / "binary.dat").write_bytes(b"\xff\xfe\x00")
    client.log_artifact(run_id, scratch / "binary.dat")
    return run_id


@pytest.fixture(scope="module")
def run_id(data_dir: Path) -> str:
    """A run of the fluent API's store holding TEXT_FILES, image.png and binary.dat."""
    return _log_files(get_client(), data_dir.parent / "scratch")


@pytest.fixture(scope="module")
def artifact_uri(run_id: str) -> str:
    return get_client().get_artifact_uri(run_id)


@pytest.mark.parametrize(
    ("uri", "parent", "name"),
    [
        ("s3://bucket/1/abc/artifacts/model", "s3://bucket/1/abc/artifacts", "model"),
        ("s3://bucket/model/", "s3://bucket", "model"),
        ("mlflow-artifacts:/1/abc/artifacts/dir", "mlflow-artifacts:/1/abc/artifacts", "dir"),
        ("mlflow-artifacts://host:5000/1/x", "mlflow-artifacts://host:5000/1", "x"),
        ("file:///data/artifacts/my%20dir", "file:///data/artifacts", "my dir"),
        ("file:///model", "file:///", "model"),
        (
            "http://host/api/2.0/mlflow-artifacts/artifacts/1/a%20b",
            "http://host/api/2.0/mlflow-artifacts/artifacts/1",
            "a b",
        ),
        ("/data/artifacts/dir", "/data/artifacts", "dir"),
        ("/data/artifacts/dir/", "/data/artifacts", "dir"),
        ("model.pkl", ".", "model.pkl"),
    ],
)
def test_split_artifact_uri(uri: str, parent: str, name: str) -> None:
    assert split_artifact_uri(uri) == (parent, name)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one of artifact_uri and run_id"),
        ({"artifact_uri": "runs:/abc/x", "run_id": "abc"}, "exactly one of artifact_uri"),
        ({"artifact_uri": "runs:/abc/x", "artifact_path": "x"}, "only allowed together with"),
        ({"artifact_uri": ""}, "non-empty string"),
        ({"artifact_uri": "runs:/"}, r"expected runs:/<run_id>/<path>"),
        ({"artifact_uri": "runs://host/abc/x"}, "no host part"),
        ({"artifact_uri": "models:/my-model"}, "'models:/my-model': names no version"),
        ({"artifact_uri": "models://host/my-model/1"}, "no host part"),
        ({"artifact_uri": "models:/my-model/prod"}, "neither a version number, a stage"),
        ({"artifact_uri": "ftp://server/x"}, "unsupported artifact URI scheme 'ftp'"),
    ],
)
def test_arguments_are_checked(data_dir: Path, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        download_artifacts(**arguments)
    with pytest.raises(InvalidParameter, match=message):
        list_artifacts(**arguments)


@pytest.mark.parametrize(
    ("arguments", "local_name", "files"),
    [
        ({"uri": "runs:/{run_id}/dir"}, "dir", {"a.txt": "alpha", "sub/b.json": '{"x": 1}'}),
        ({"uri": "runs:/{run_id}/notes.txt"}, "notes.txt", None),
        ({"run_id": True, "artifact_path": "dir/sub"}, "dir/sub", {"b.json": '{"x": 1}'}),
        ({"run_id": True, "artifact_path": "notes.txt"}, "notes.txt", None),
        ({"uri": "{artifact_uri}/dir"}, "dir", {"a.txt": "alpha", "sub/b.json": '{"x": 1}'}),
        ({"uri": "{artifact_uri}/notes.txt"}, "notes.txt", None),
    ],
)
def test_download_keeps_the_relative_path(
    tmp_path: Path,
    run_id: str,
    artifact_uri: str,
    arguments: dict[str, Any],
    local_name: str,
    files: dict[str, str] | None,
) -> None:
    destination = tmp_path / "out" / "new"  # created on demand
    if "uri" in arguments:
        uri = arguments["uri"].format(run_id=run_id, artifact_uri=artifact_uri)
        local = download_artifacts(uri, dst_path=str(destination))
    else:
        local = download_artifacts(
            run_id=run_id, artifact_path=arguments["artifact_path"], dst_path=str(destination)
        )
    assert Path(local) == destination / local_name
    if files is None:
        assert Path(local).read_text() == TEXT_FILES["notes.txt"]
    else:
        found = {
            path.relative_to(local).as_posix(): path.read_text()
            for path in Path(local).rglob("*")
            if path.is_file()
        }
        assert found == files


def test_download_without_destination_uses_a_new_folder(run_id: str) -> None:
    first = Path(download_artifacts(f"runs:/{run_id}/dir"))
    second = Path(download_artifacts(f"runs:/{run_id}/dir"))
    try:
        assert first.name == second.name == "dir"
        assert first.parent != second.parent
        assert (first / "a.txt").read_text() == "alpha"
    finally:
        shutil.rmtree(first.parent)
        shutil.rmtree(second.parent)


def test_a_failed_download_leaves_no_new_folder(
    run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(NotFound):
        download_artifacts(f"runs:/{run_id}/missing")
    made = Path(download_artifacts(f"runs:/{run_id}/notes.txt"))
    assert [path.name for path in tmp_path.iterdir()] == [made.parent.name]


def test_download_of_the_whole_run(tmp_path: Path, run_id: str) -> None:
    local = Path(download_artifacts(run_id=run_id, dst_path=str(tmp_path / "all")))
    assert local == tmp_path / "all"
    assert sorted(path.name for path in local.iterdir()) == [
        "binary.dat",
        "broken.json",
        "conf.yaml",
        "dir",
        "image.png",
        "notes.txt",
    ]


@pytest.mark.parametrize(
    ("uri", "error"),
    [
        ("runs:/{run_id}/missing.txt", NotFound),
        ("runs:/{unknown}/notes.txt", NotFound),
        ("runs:/{run_id}/../escape", InvalidParameter),
    ],
)
def test_download_failures(tmp_path: Path, run_id: str, uri: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        download_artifacts(uri.format(run_id=run_id, unknown="f" * 32), dst_path=str(tmp_path))


def test_tracking_uri_names_another_store(tmp_path: Path, data_dir: Path) -> None:
    other = tmp_path / "other"
    settings = Settings(data_dir=other, spool_dir=tmp_path / "spool", async_logging=False)
    client = TrackstoneClient(settings=settings)
    try:
        elsewhere = _log_files(client, tmp_path / "scratch")
    finally:
        client.close()
    local = download_artifacts(
        f"runs:/{elsewhere}/notes.txt", dst_path=str(tmp_path / "out"), tracking_uri=str(other)
    )
    assert Path(local).read_text() == "hello"
    listed = list_artifacts(run_id=elsewhere, artifact_path="dir", tracking_uri=str(other))
    assert [info.path for info in listed] == ["dir/a.txt", "dir/sub"]
    with pytest.raises(NotFound):
        download_artifacts(f"runs:/{elsewhere}/notes.txt", dst_path=str(tmp_path / "out"))


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"uri": "runs:/{run_id}"},
            [
                ("binary.dat", False),
                ("broken.json", False),
                ("conf.yaml", False),
                ("dir", True),
                ("image.png", False),
                ("notes.txt", False),
            ],
        ),
        ({"uri": "runs:/{run_id}/dir"}, [("dir/a.txt", False), ("dir/sub", True)]),
        ({"run_id": True, "artifact_path": "dir/sub"}, [("dir/sub/b.json", False)]),
        ({"uri": "{artifact_uri}/dir"}, [("dir/a.txt", False), ("dir/sub", True)]),
        ({"uri": "runs:/{run_id}/nothing-here"}, []),
    ],
)
def test_list_artifacts(
    run_id: str,
    artifact_uri: str,
    arguments: dict[str, Any],
    expected: list[tuple[str, bool]],
) -> None:
    if "uri" in arguments:
        uri = arguments["uri"].format(run_id=run_id, artifact_uri=artifact_uri)
        listed = list_artifacts(uri)
    else:
        listed = list_artifacts(run_id=run_id, artifact_path=arguments["artifact_path"])
    assert [(info.path, info.is_dir) for info in listed] == expected
    sizes = {info.path: info.file_size for info in listed}
    if "dir/a.txt" in sizes:
        assert sizes["dir/a.txt"] == len("alpha")


@pytest.mark.parametrize(
    ("path", "expected"),
    [("notes.txt", "hello"), ("dir/a.txt", "alpha"), ("dir/sub/b.json", '{"x": 1}')],
)
def test_load_text(run_id: str, path: str, expected: str) -> None:
    assert load_text(f"runs:/{run_id}/{path}") == expected


def test_load_text_of_a_direct_uri(artifact_uri: str) -> None:
    assert load_text(f"{artifact_uri}/dir/a.txt") == "alpha"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("dir/sub/b.json", {"x": 1}), ("conf.yaml", {"lr": 0.1, "layers": [3, 4]})],
)
def test_load_dict(run_id: str, path: str, expected: dict[str, Any]) -> None:
    assert load_dict(f"runs:/{run_id}/{path}") == expected


def test_load_image(run_id: str) -> None:
    image = load_image(f"runs:/{run_id}/image.png")
    assert (image.size, image.mode) == ((3, 2), "RGB")
    assert image.getpixel((2, 1)) == (255, 0, 0)


@pytest.mark.parametrize(
    ("function", "path", "error", "message"),
    [
        (load_text, "binary.dat", InvalidParameter, "not UTF-8 text"),
        (load_text, "dir", InvalidParameter, "is a folder"),
        (load_text, "", InvalidParameter, "must name a file"),
        (load_text, "missing.txt", NotFound, "does not exist"),
        (load_dict, "broken.json", InvalidParameter, "not valid JSON"),
        (load_dict, "notes.txt", InvalidParameter, "not valid JSON"),
        (load_image, "notes.txt", InvalidParameter, "not a readable image"),
    ],
)
def test_load_failures(
    run_id: str, function: Any, path: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        function(f"runs:/{run_id}/{path}")


@pytest.mark.parametrize(
    "name", ["download_artifacts", "list_artifacts", "load_text", "load_dict", "load_image"]
)
def test_trackstone_artifacts_exposes_the_functions(name: str) -> None:
    assert getattr(trackstone.artifacts, name) is getattr(artifact_functions, name)
    assert name in trackstone.artifacts.__all__


def test_importing_the_artifacts_package_does_not_load_the_client() -> None:
    probe = (
        "import sys, trackstone.artifacts as a; "
        "print(any(m.startswith('trackstone.client') for m in sys.modules)); "
        "a.load_text; print('trackstone.client.artifact_functions' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


# Parameter names, in order, of MLflow's ``mlflow.artifacts`` functions.
@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        (
            "download_artifacts",
            [
                "artifact_uri",
                "run_id",
                "artifact_path",
                "dst_path",
                "tracking_uri",
                "registry_uri",
            ],
        ),
        ("list_artifacts", ["artifact_uri", "run_id", "artifact_path", "tracking_uri"]),
        ("load_text", ["artifact_uri"]),
        ("load_dict", ["artifact_uri"]),
        ("load_image", ["artifact_uri"]),
    ],
)
def test_signatures_keep_mlflow_parameter_names(name: str, parameters: list[str]) -> None:
    function = getattr(trackstone.artifacts, name)
    assert list(inspect.signature(function).parameters) == parameters
