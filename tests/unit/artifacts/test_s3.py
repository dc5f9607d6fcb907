"""What ``S3ArtifactRepository`` does beyond the shared contract: roots, transfers, errors.

Runs against the moto S3 server on loopback (``support.s3``). Requests are observed through
botocore's public event hooks; failures are injected with botocore's ``Stubber``.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore import exceptions as boto_errors
from botocore.stub import Stubber
from s3transfer.exceptions import RetriesExceededError

from support.s3 import S3Bucket, S3Server
from trackstone.artifacts.base import FileInfo
from trackstone.artifacts.resolve import repository_for_uri
from trackstone.artifacts.s3 import MiB, S3ArtifactRepository, parse_s3_uri, part_bytes_for
from trackstone.artifacts.s3_errors import translate_s3_error
from trackstone.config import Settings
from trackstone.errors import (
    InternalError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
)

ROOT = "runs/1/artifacts"


class RequestLog:
    """The S3 operations a client sent, in order (recorded through botocore's event hooks)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self._lock = threading.Lock()

    def record(self, model: Any, **kwargs: Any) -> None:
        with self._lock:
            self.operations.append(model.name)

    def count(self, operation: str) -> int:
        return self.operations.count(operation)


@pytest.fixture
def requests(s3_bucket: S3Bucket) -> Iterator[RequestLog]:
    log = RequestLog()
    events = s3_bucket.client.meta.events
    events.register("before-call.s3", log.record)
    yield log
    events.unregister("before-call.s3", log.record)


def _repo(bucket: S3Bucket, prefix: str = ROOT, **options: Any) -> S3ArtifactRepository:
    return S3ArtifactRepository(bucket.uri(prefix), client=bucket.client, **options)


def _read(repo: S3ArtifactRepository, path: str) -> bytes:
    with repo.open_artifact(path) as stream:
        return stream.read()


# -- roots -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix", "root_uri"),
    [
        ("s3://ml", "ml", "", "s3://ml"),
        ("s3://ml/", "ml", "", "s3://ml"),
        ("s3://ml/runs/1/artifacts", "ml", "runs/1/artifacts", "s3://ml/runs/1/artifacts"),
        ("s3://ml/runs//1/./artifacts/", "ml", "runs/1/artifacts", "s3://ml/runs/1/artifacts"),
        ("S3://ml/x", "ml", "x", "s3://ml/x"),
        ("s3://ml/my runs/a%20b", "ml", "my runs/a%20b", "s3://ml/my runs/a%20b"),
    ],
)
def test_parse_s3_uri(uri: str, bucket: str, prefix: str, root_uri: str) -> None:
    assert parse_s3_uri(uri) == (bucket, prefix)
    assert S3ArtifactRepository(uri, client=object()).root_uri == root_uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("file:///srv/x", "must be an s3:// URI"),
        ("s3:///prefix", "must name a bucket"),
        ("s3://ml/x?versionId=3", "must not contain '?' or '#'"),
        ("s3://ml/x#frag", "must not contain '?' or '#'"),
        ("s3://ml/a/../b", "must not contain '..' segments"),
        ("s3://ml/%2e%2e/b", "decodes to"),
    ],
)
def test_bad_roots_are_refused(uri: str, reason: str) -> None:
    with pytest.raises(InvalidParameter, match="artifact root") as caught:
        parse_s3_uri(uri)
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"part_bytes": 5 * MiB - 1}, "part_bytes"),
        ({"max_threads": 0}, "max_threads"),
    ],
)
def test_bad_options_are_refused(options: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidParameter, match=f"^{field}: "):
        S3ArtifactRepository("s3://ml/x", client=object(), **options)  # type: ignore[arg-type]


def test_prefix_is_a_folder_not_a_string_prefix(s3_bucket: S3Bucket) -> None:
    run1 = _repo(s3_bucket, "runs/1")
    run10 = _repo(s3_bucket, "runs/10")
    run1.write_artifact("a.txt", io.BytesIO(b"one"))
    run10.write_artifact("b.txt", io.BytesIO(b"ten"))
    assert run1.list_artifacts() == [FileInfo("a.txt", False, 3)]
    run1.delete_artifacts()
    assert s3_bucket.keys() == ["runs/10/b.txt"]


def test_a_bucket_root_without_prefix(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    repo = _repo(s3_bucket, "")
    repo.write_artifact("top.txt", io.BytesIO(b"1"))
    repo.write_artifact("d/inner.txt", io.BytesIO(b"22"))
    assert s3_bucket.keys() == ["d/inner.txt", "top.txt"]
    assert repo.list_artifacts() == [FileInfo("d", True, None), FileInfo("top.txt", False, 1)]
    local = repo.download_artifacts("", tmp_path / "dst")
    assert (local / "d" / "inner.txt").read_bytes() == b"22"
    repo.delete_artifacts()
    assert s3_bucket.keys() == []


def test_download_of_an_empty_root_gives_an_empty_folder(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    local = _repo(s3_bucket).download_artifacts("", tmp_path / "dst")
    assert local == tmp_path / "dst"
    assert list(local.iterdir()) == []


# -- resolving from settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"MLFLOW_S3_ENDPOINT_URL": "http://mlflow:9000"}, "http://mlflow:9000"),
        ({"TRACKSTONE_S3_ENDPOINT_URL": "http://ts:9000"}, "http://ts:9000"),
        (
            {"TRACKSTONE_S3_ENDPOINT_URL": "http://ts:9000", "MLFLOW_S3_ENDPOINT_URL": "http://m"},
            "http://ts:9000",
        ),
    ],
)
def test_settings_read_the_s3_endpoint(
    environ: dict[str, str], expected: str | None, tmp_path: Path
) -> None:
    settings = Settings.from_env(environ, data_dir=tmp_path)
    assert settings.s3_endpoint_url == expected


def test_repository_for_uri_builds_an_s3_repository_on_the_endpoint(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # boto3 reads credentials from the environment itself; keep the machine's files out.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "trackstone-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "trackstone-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    repo = repository_for_uri(s3_bucket.uri(ROOT), s3_endpoint_url=s3_bucket.server.endpoint_url)
    assert isinstance(repo, S3ArtifactRepository)
    assert repo.root_uri == f"s3://{s3_bucket.name}/{ROOT}"
    repo.write_artifact("hello.txt", io.BytesIO(b"hello"))
    assert s3_bucket.keys() == [f"{ROOT}/hello.txt"]


# -- transfers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size_bytes", "expected_operations"),
    [
        (0, ["PutObject"]),
        (8 * MiB - 1, ["PutObject"]),
        (8 * MiB, ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"]),
        (
            16 * MiB + 1,
            ["CreateMultipartUpload", *["UploadPart"] * 3, "CompleteMultipartUpload"],
        ),
    ],
    ids=["empty", "below-threshold", "at-threshold", "three-parts"],
)
def test_streams_use_multipart_uploads_from_the_threshold(
    s3_bucket: S3Bucket, requests: RequestLog, size_bytes: int, expected_operations: list[str]
) -> None:
    content = bytes(range(256)) * (size_bytes // 256) + b"x" * (size_bytes % 256)
    repo = _repo(s3_bucket)
    repo.write_artifact("blob.bin", io.BytesIO(content))
    assert sorted(requests.operations) == sorted(expected_operations)
    assert _read(repo, "blob.bin") == content


def test_log_artifact_uploads_a_large_file_in_parts(
    s3_bucket: S3Bucket, requests: RequestLog, tmp_path: Path
) -> None:
    local = tmp_path / "weights.bin"
    local.write_bytes(b"\x01" * (20 * MiB))
    repo = _repo(s3_bucket)
    repo.log_artifact(local, "model")
    assert requests.count("CreateMultipartUpload") == 1
    assert requests.count("UploadPart") == 3
    assert repo.list_artifacts("model") == [FileInfo("model/weights.bin", False, 20 * MiB)]


def test_parts_are_uploaded_in_parallel(s3_bucket: S3Bucket) -> None:
    # The first two parts wait for each other: with one part at a time, the barrier breaks
    # and the upload fails.
    barrier = threading.Barrier(2, timeout=30)

    def meet(params: dict[str, Any], **kwargs: Any) -> None:
        if params.get("PartNumber") in (1, 2):
            barrier.wait()

    events = s3_bucket.client.meta.events
    events.register("before-parameter-build.s3.UploadPart", meet)
    try:
        _repo(s3_bucket, max_threads=2).write_artifact(
            "big.bin", io.BytesIO(b"\x02" * (16 * MiB + 1))
        )
    finally:
        events.unregister("before-parameter-build.s3.UploadPart", meet)
    assert s3_bucket.keys() == [f"{ROOT}/big.bin"]


@pytest.mark.parametrize(
    ("size_bytes", "expected_part_mib"),
    [
        (0, 8),
        (24 * MiB, 8),
        (800 * MiB, 8),
        (2 * 1024 * MiB, 21),
        (10 * 1024 * MiB, 64),
        (700 * 1024 * MiB, 128),
    ],
)
def test_part_size_grows_with_the_file(size_bytes: int, expected_part_mib: int) -> None:
    assert part_bytes_for(size_bytes) == expected_part_mib * MiB


class _Trickle(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read, like a socket."""

    def __init__(self, content: bytes, step: int) -> None:
        self._content = content
        self._step = step
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            raise AssertionError("unbounded read")
        piece = self._content[self._offset : self._offset + min(size, self._step)]
        self._offset += len(piece)
        return piece


def test_a_stream_with_short_reads_still_uploads_full_parts(
    s3_bucket: S3Bucket, requests: RequestLog
) -> None:
    content = bytes(range(256)) * (80 * 1024) + b"tail"  # 20 MiB + 4
    repo = _repo(s3_bucket)
    repo.write_artifact("slow.bin", _Trickle(content, 64 * 1024))  # type: ignore[arg-type]
    assert requests.count("UploadPart") == 3
    assert _read(repo, "slow.bin") == content


class _BrokenSource(io.RawIOBase):
    """A stream that serves ``good_bytes`` and then fails, like a client that went away."""

    def __init__(self, good_bytes: int) -> None:
        self._left = good_bytes

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self._left:
            raise ConnectionResetError("client went away")
        served = min(size, self._left)
        self._left -= served
        return b"\x03" * served


@pytest.mark.parametrize("good_bytes", [1024, 12 * MiB], ids=["single-put", "multipart"])
def test_a_failed_upload_keeps_the_old_object_and_leaves_no_parts(
    s3_bucket: S3Bucket, good_bytes: int
) -> None:
    repo = _repo(s3_bucket)
    repo.write_artifact("a.bin", io.BytesIO(b"old"))
    with pytest.raises(ConnectionResetError):
        repo.write_artifact("a.bin", _BrokenSource(good_bytes))  # type: ignore[arg-type]
    assert _read(repo, "a.bin") == b"old"
    uploads = s3_bucket.client.list_multipart_uploads(Bucket=s3_bucket.name)
    assert uploads.get("Uploads", []) == []


def test_open_artifact_returns_before_the_body_is_read(s3_bucket: S3Bucket) -> None:
    repo = _repo(s3_bucket)
    repo.write_artifact("big.bin", io.BytesIO(bytes(range(256)) * (12 * 4096)))  # 12 MiB
    with repo.open_artifact("big.bin") as stream:
        assert stream.read(3) == b"\x00\x01\x02"
        assert stream.read(2) == b"\x03\x04"


# -- listing, deleting and downloading many keys ---------------------------------------------


def _local_files(folder: Path, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        (folder / f"f{index:04d}.txt").write_bytes(b"%d" % index)
    return folder


@pytest.mark.parametrize(
    ("count", "page_size", "list_calls", "delete_calls"),
    [(23, 5, 5, 6), (23, 23, 1, 2), (23, 1000, 1, 2), (5, 1, 5, 6)],
)
def test_listing_deleting_and_downloading_go_page_by_page(
    s3_bucket: S3Bucket,
    requests: RequestLog,
    tmp_path: Path,
    count: int,
    page_size: int,
    list_calls: int,
    delete_calls: int,
) -> None:
    repo = _repo(s3_bucket, page_size=page_size)
    repo.log_artifacts(_local_files(tmp_path / "many", count), "many")
    assert requests.count("PutObject") == count
    names = [f"f{i:04d}.txt" for i in range(count)]

    listed = repo.list_artifacts("many")
    assert requests.count("ListObjectsV2") == list_calls
    assert listed == [
        FileInfo(f"many/{name}", False, len(b"%d" % i)) for i, name in enumerate(names)
    ]

    before = requests.count("ListObjectsV2")
    local = repo.download_artifacts("many", tmp_path / "dst")
    assert requests.count("ListObjectsV2") - before == list_calls
    assert sorted(path.name for path in local.iterdir()) == names
    assert (local / names[-1]).read_bytes() == b"%d" % (count - 1)
    assert requests.count("HeadObject") == 1  # the probe for a file named "many" only

    before = requests.count("DeleteObjects")
    repo.delete_artifacts("many")
    # One request for an object named "many", then one per page of the folder.
    assert requests.count("DeleteObjects") - before == delete_calls
    assert s3_bucket.keys() == []


@pytest.mark.slow
def test_more_than_a_thousand_keys(
    s3_bucket: S3Bucket, requests: RequestLog, tmp_path: Path
) -> None:
    repo = _repo(s3_bucket)
    repo.log_artifacts(_local_files(tmp_path / "many", 1001), "many")
    listed = repo.list_artifacts("many")
    assert requests.count("ListObjectsV2") == 2  # S3 pages hold at most 1000 keys
    assert [info.path for info in listed] == [f"many/f{i:04d}.txt" for i in range(1001)]
    repo.delete_artifacts()
    assert requests.count("DeleteObjects") == 2  # at most 1000 keys per request
    assert s3_bucket.keys() == []


# -- keys written by something else ----------------------------------------------------------


def test_keys_that_are_not_safe_paths_are_skipped(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    for key, body in [
        (f"{ROOT}/ok.txt", b"ok"),
        (f"{ROOT}/dir/", b""),  # a folder marker, as consoles create
        (f"{ROOT}/dir/in.txt", b"in"),
        (f"{ROOT}/../escape.txt", b"no"),
        (f"{ROOT}/a//double.txt", b"no"),
        (f"{ROOT}/./dot.txt", b"no"),
        (f"{ROOT}/bad\\name.txt", b"no"),
    ]:
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=body)
    repo = _repo(s3_bucket)
    # "a//double.txt" leaves a folder "a" with nothing listable inside it.
    assert repo.list_artifacts() == [
        FileInfo("a", True, None),
        FileInfo("dir", True, None),
        FileInfo("ok.txt", False, 2),
    ]
    assert repo.list_artifacts("a") == []
    assert repo.list_artifacts("dir") == [FileInfo("dir/in.txt", False, 2)]
    local = repo.download_artifacts("", tmp_path / "dst")
    found = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert found == ["dir/in.txt", "ok.txt"]
    assert not (tmp_path / "escape.txt").exists()


def test_a_file_and_a_folder_with_one_name_download_the_first(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    for key in [f"{ROOT}/x", f"{ROOT}/x/inner.txt", f"{ROOT}/y.txt"]:
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=key, Body=b"data")
    local = _repo(s3_bucket).download_artifacts("", tmp_path / "dst")
    assert (local / "x").read_bytes() == b"data"
    assert (local / "y.txt").read_bytes() == b"data"


# -- errors ----------------------------------------------------------------------------------


def _client_error(code: str, status: int) -> Exception:
    response = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return boto_errors.ClientError(response, "GetObject")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error("NoSuchKey", 404), NotFound),
        (_client_error("404", 404), NotFound),
        (_client_error("NoSuchBucket", 404), NotFound),
        (_client_error("AccessDenied", 403), PermissionDenied),
        (_client_error("403", 403), PermissionDenied),
        (_client_error("InvalidAccessKeyId", 403), PermissionDenied),
        (_client_error("SignatureDoesNotMatch", 403), PermissionDenied),
        (_client_error("SlowDown", 503), ServiceUnavailable),
        (_client_error("InternalError", 500), ServiceUnavailable),
        (_client_error("TooManyRequests", 429), ServiceUnavailable),
        (_client_error("KeyTooLongError", 400), InvalidParameter),
        (_client_error("MalformedXML", 400), InternalError),
        (boto_errors.NoCredentialsError(), PermissionDenied),
        (boto_errors.EndpointConnectionError(endpoint_url="http://s3"), ServiceUnavailable),
        (boto_errors.ReadTimeoutError(endpoint_url="http://s3"), ServiceUnavailable),
        (boto_errors.ConnectionClosedError(endpoint_url="http://s3"), ServiceUnavailable),
        (RetriesExceededError(OSError("reset")), ServiceUnavailable),
        (boto_errors.ParamValidationError(report="bad key"), InvalidParameter),
    ],
)
def test_translate_s3_error(error: Exception, expected: type[TrackstoneError]) -> None:
    translated = translate_s3_error(error, "artifact 'a.txt'")
    assert type(translated) is expected
    assert translated is not None and translated.message.startswith("artifact 'a.txt'")


def test_other_errors_are_not_translated() -> None:
    assert translate_s3_error(ValueError("not ours"), "artifact 'a.txt'") is None


Operation = Callable[[S3ArtifactRepository], object]


@pytest.mark.parametrize(
    ("method", "code", "status", "operation", "expected"),
    [
        ("get_object", "AccessDenied", 403, lambda r: r.open_artifact("a.txt"), PermissionDenied),
        ("get_object", "SlowDown", 503, lambda r: r.open_artifact("a.txt"), ServiceUnavailable),
        ("list_objects_v2", "AccessDenied", 403, lambda r: r.list_artifacts(), PermissionDenied),
        ("list_objects_v2", "NoSuchBucket", 404, lambda r: r.list_artifacts(), NotFound),
        (
            "head_object",
            "403",
            403,
            lambda r: r.download_artifacts("a.txt", "unused"),
            PermissionDenied,
        ),
    ],
)
def test_methods_translate_store_errors(
    s3_server: S3Server,
    method: str,
    code: str,
    status: int,
    operation: Operation,
    expected: type[TrackstoneError],
) -> None:
    client = s3_server.new_client()
    repo = S3ArtifactRepository("s3://stubbed/root", client=client)
    with Stubber(client) as stubber:
        stubber.add_client_error(method, service_error_code=code, http_status_code=status)
        with pytest.raises(expected) as caught:
            operation(repo)
        stubber.assert_no_pending_responses()
    assert caught.value.__cause__ is not None  # the botocore error stays attached for logs


def test_delete_reports_keys_the_store_refused(s3_server: S3Server) -> None:
    client = s3_server.new_client()
    repo = S3ArtifactRepository("s3://stubbed/root", client=client)
    with Stubber(client) as stubber:
        stubber.add_response(
            "delete_objects",
            {"Errors": [{"Key": "root/a.txt", "Code": "AccessDenied", "Message": "no"}]},
        )
        with pytest.raises(PermissionDenied, match=r"artifact 'a\.txt'"):
            repo.delete_artifacts("a.txt")


def test_a_missing_bucket_is_not_found(s3_bucket: S3Bucket) -> None:
    repo = S3ArtifactRepository("s3://trackstone-no-such-bucket/x", client=s3_bucket.client)
    with pytest.raises(NotFound, match="bucket does not exist"):
        repo.write_artifact("a.txt", io.BytesIO(b"1"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "operation",
    [
        lambda r: r.list_artifacts(),
        lambda r: r.open_artifact("a.txt"),
        lambda r: r.write_artifact("a.txt", io.BytesIO(b"1")),
        lambda r: r.delete_artifacts(),
    ],
    ids=["list", "open", "write", "delete"],
)
def test_an_unreachable_store_is_unavailable(operation: Operation) -> None:
    down = S3Server(endpoint_url=f"http://127.0.0.1:{_closed_port()}", client=None)
    client = down.new_client(retries={"max_attempts": 1}, connect_timeout=2)
    repo = S3ArtifactRepository("s3://bucket/root", client=client)
    with pytest.raises(ServiceUnavailable, match="cannot reach the object store"):
        operation(repo)
