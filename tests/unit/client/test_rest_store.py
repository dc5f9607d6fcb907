"""RestStore and its HTTP layer against a scripted loopback server: retries, auth, errors, wire.

The scripted server answers each request with the next scripted reply (status, body, headers)
or drops the connection without answering, and records what it received. Backoff is zero, so
no test sleeps. (The full TrackingStore behaviour over the real server app is the contract
suite's ``rest`` parameter.)
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

import trackstone
from trackstone.client.http import Credentials, HttpClient, HttpOptions
from trackstone.client.rest_store import RestStore
from trackstone.client.stores import store_for_settings
from trackstone.config import Settings
from trackstone.entities import Metric, Param, RunTag
from trackstone.entities.logged_model import LoggedModelStatus
from trackstone.errors import (
    AlreadyExists,
    InternalError,
    InvalidParameter,
    InvalidState,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TrackstoneError,
    Unauthenticated,
)
from trackstone.store.resolve import store_for_uri

DROP = "drop"  # a scripted "reply": close the connection without answering
STALL = "stall"  # a scripted "reply": answer nothing until the test releases the script
OPTIONS = HttpOptions(max_retries=3, backoff_factor_s=0.0, backoff_jitter_s=0.0)
RUN_ID = "a" * 32
_RUN_JSON = {
    "run": {
        "info": {"run_id": RUN_ID, "experiment_id": "1", "status": "RUNNING", "start_time": 5},
        "data": {"metrics": [{"key": "m", "value": "NaN", "timestamp": "7", "step": 2}]},
    }
}


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """Replies to give, in order (the last one repeats), and the requests received."""

    replies: list[tuple[int, bytes, dict[str, str]] | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def reply(self, status: int = 200, body: object = None, **headers: str) -> None:
        data = json.dumps({} if body is None else body).encode()
        self.replies.append((status, data, headers))

    def raw(self, status: int, data: bytes) -> None:
        self.replies.append((status, data, {"Content-Type": "text/html"}))

    def drop(self) -> None:
        self.replies.append(DROP)

    def stall(self) -> None:
        self.replies.append(STALL)

    def next_reply(self) -> tuple[int, bytes, dict[str, str]] | str:
        with self.lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: Script

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        with self.script.lock:
            self.script.received.append(
                Received(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {key.lower(): value for key, value in self.headers.items()},
                    body,
                )
            )
        reply = self.script.next_reply()
        if reply == STALL:
            self.script.released.wait(30)
            reply = DROP
        if reply == DROP:
            self.close_connection = True
            return
        assert not isinstance(reply, str)
        status, data, headers = reply
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


@pytest.fixture
def script() -> Iterator[Script]:
    """Serve a fresh script on a loopback port; ``script.url`` is its base URL."""
    current = Script()
    handler = type("Handler", (_Handler,), {"script": current})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.block_on_close = False  # keep-alive handler threads end with the process
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    current.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield current
    current.released.set()
    server.shutdown()
    server.server_close()


def _store(script: Script, **kwargs: object) -> RestStore:
    return RestStore(script.url, options=OPTIONS, **kwargs)  # type: ignore[attr-defined, arg-type]


# -- retries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "attempts"),
    [
        ([503, 503], 3),
        ([429], 2),
        ([502, 504], 3),
        ([DROP], 2),
        ([], 1),
    ],
)
def test_safe_calls_are_retried_until_they_succeed(
    script: Script, failures: list[int | str], attempts: int
) -> None:
    for failure in failures:
        _fail_once(script, failure)
    script.reply(200, {})

    _store(script).log_batch(RUN_ID, metrics=[Metric("m", 1.0, 1, 0)])

    assert len(script.received) == attempts
    assert {r.body for r in script.received} == {script.received[0].body}  # same batch


def _fail_once(script: Script, failure: int | str) -> None:
    if failure == DROP:
        script.drop()
    else:
        script.raw(int(failure), b"<html>busy</html>")


@pytest.mark.parametrize("failure", [503, 429])
def test_creates_are_retried_when_the_server_refused_before_acting(
    script: Script, failure: int
) -> None:
    _fail_once(script, failure)
    script.reply(200, _RUN_JSON)

    assert _store(script).create_run("1").info.run_id == RUN_ID
    assert len(script.received) == 2


UNSAFE_CALLS = [
    ("create_run", ("1",)),
    ("create_experiment", ("e",)),
    ("delete_tag", (RUN_ID, "k")),
    ("delete_experiment_tag", ("1", "k")),
    ("delete_experiment", ("1",)),
    ("restore_experiment", ("1",)),
    ("purge_run", (RUN_ID,)),
    ("purge_experiment", ("1",)),
]


@pytest.mark.parametrize("failure", [502, 504, DROP])
@pytest.mark.parametrize(("call", "args"), UNSAFE_CALLS, ids=[c for c, _ in UNSAFE_CALLS])
def test_calls_whose_repeat_is_not_a_no_op_are_not_repeated_after_an_unclear_failure(
    script: Script, call: str, args: tuple[object, ...], failure: int | str
) -> None:
    # The request may have reached the server: creating twice makes two, deleting twice fails.
    _fail_once(script, failure)
    script.reply(200, _RUN_JSON)

    with pytest.raises(ServiceUnavailable):
        getattr(_store(script), call)(*args)
    assert len(script.received) == 1


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("delete_run", (RUN_ID,)),  # deleting a deleted run is a no-op
        ("restore_run", (RUN_ID,)),
        ("set_tag", (RUN_ID, RunTag("k", "v"))),
        ("log_param", (RUN_ID, Param("k", "v"))),
        ("update_run_info", (RUN_ID,)),
    ],
)
def test_calls_whose_repeat_is_a_no_op_are_repeated_after_an_unclear_failure(
    script: Script, call: str, args: tuple[object, ...]
) -> None:
    _fail_once(script, DROP)
    script.reply(200, {"run_info": _RUN_JSON["run"]["info"]})  # type: ignore[index]

    getattr(_store(script), call)(*args)

    assert len(script.received) == 2


def test_retries_run_out_with_the_last_answer(script: Script) -> None:
    script.reply(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "database is locked"})

    with pytest.raises(ServiceUnavailable, match="database is locked"):
        _store(script).get_run(RUN_ID)
    assert len(script.received) == 1 + OPTIONS.max_retries


def test_unreachable_server_raises_service_unavailable_with_the_root_cause() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RestStore(f"http://127.0.0.1:{port}", options=OPTIONS)

    with pytest.raises(ServiceUnavailable, match=f"127.0.0.1:{port} unreachable") as raised:
        store.log_batch(RUN_ID, params=[Param("p", "v")])
    assert "Connection refused" in str(raised.value)


@pytest.mark.parametrize("safe", [True, False])
def test_a_server_that_does_not_answer_times_out(script: Script, safe: bool) -> None:
    script.stall()
    client = HttpClient(
        script.url,  # type: ignore[attr-defined]
        options=HttpOptions(max_retries=0, read_timeout_s=0.2),
    )

    with pytest.raises(ServiceUnavailable, match="timed out"):
        client.request("GET", "/api/2.0/mlflow/runs/get", safe=safe)
    assert len(script.received) == 1


# -- errors ------------------------------------------------------------------------------


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


@pytest.mark.parametrize(
    ("status", "body", "raised", "message"),
    [
        (404, _error("RESOURCE_DOES_NOT_EXIST", "no run"), NotFound, "no run"),
        (400, _error("INVALID_PARAMETER_VALUE", "k: bad"), InvalidParameter, "k: bad"),
        (400, _error("RESOURCE_ALREADY_EXISTS", "taken"), AlreadyExists, "taken"),
        (400, _error("INVALID_STATE", "deleted"), InvalidState, "deleted"),
        (401, b"", Unauthenticated, "HTTP 401"),
        (403, _error("PERMISSION_DENIED", "no"), PermissionDenied, "no"),
        (500, b"<html>oops</html>", InternalError, "oops"),
        (200, b"[1, 2]", InternalError, "unexpected response"),
        (200, b"{not json", InternalError, "malformed response"),
    ],
)
def test_answers_map_to_the_error_they_name(
    script: Script, status: int, body: bytes, raised: type[TrackstoneError], message: str
) -> None:
    script.raw(status, body)

    with pytest.raises(raised, match=message):
        _store(script).get_run(RUN_ID)


def test_missing_experiment_name_is_none(script: Script) -> None:
    script.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such name"})

    assert _store(script).get_experiment_by_name("nope") is None
    assert script.received[0].query == [("experiment_name", "nope")]


@pytest.mark.parametrize("method", ["get_run", "get_metric_history"])
def test_empty_run_id_is_not_found_without_a_request(script: Script, method: str) -> None:
    store = _store(script)
    with pytest.raises(NotFound):
        getattr(store, method)("", *(["m"] if method == "get_metric_history" else []))
    assert script.received == []


def test_oversized_batch_is_refused_before_sending(script: Script) -> None:
    metrics = [Metric("m", 1.0, 1, i) for i in range(1000)]

    with pytest.raises(InvalidParameter, match="at most 1000 in total"):
        _store(script).log_batch(RUN_ID, metrics=metrics, tags=[RunTag("t", "v")])
    assert script.received == []


# -- auth --------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("token", "username", "password", "expected"),
    [
        (None, None, None, None),
        ("tok", None, None, "Bearer tok"),
        (None, "ada", "s3cret:€", _basic("ada", "s3cret:€")),
        ("tok", "ada", "pw", _basic("ada", "pw")),  # as the mlflow client: basic wins
        (None, "ada", None, None),  # a username alone is not a credential
    ],
)
def test_settings_credentials_are_sent_on_every_request(
    script: Script,
    token: str | None,
    username: str | None,
    password: str | None,
    expected: str | None,
) -> None:
    settings = Settings(
        tracking_uri=script.url,  # type: ignore[attr-defined]
        tracking_token=token,
        tracking_username=username,
        tracking_password=password,
    )
    script.reply(200, _RUN_JSON)
    store = RestStore(settings.tracking_uri, settings, options=OPTIONS)

    store.get_run(RUN_ID)
    store.log_batch(RUN_ID, params=[Param("p", "v")])

    assert [r.headers.get("authorization") for r in script.received] == [expected, expected]


def test_credentials_never_show_in_repr() -> None:
    shown = repr(Credentials(token="tok-123", username="ada", password="pw-456"))

    assert "tok-123" not in shown and "pw-456" not in shown
    assert shown == "Credentials(token, username, password)"


# -- URLs and wire -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["ftp://host/x", "http://", "http://user:pw@host:5000", "http://host/?a=1", "localhost:5000"],
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidParameter, match="tracking URI") as raised:
        HttpClient(url)
    assert "pw" not in str(raised.value)


def test_every_request_names_the_client_and_asks_for_json(script: Script) -> None:
    script.reply(200, _RUN_JSON)
    store = _store(script)

    store.get_run(RUN_ID)
    store.set_tag(RUN_ID, RunTag("k", "v"))

    for received in script.received:
        assert received.headers["user-agent"] == f"trackstone/{trackstone.__version__}"
        assert received.headers["accept"] == "application/json"
        assert "authorization" not in received.headers
    assert "content-type" not in script.received[0].headers  # a GET has no body
    assert script.received[1].headers["content-type"] == "application/json"


def test_query_values_are_url_encoded_and_keys_may_repeat(script: Script) -> None:
    script.reply(200, {})
    pairs = [("k", "a b&c=d"), ("k", "é/?#%"), ("other", ""), ("k", "+")]

    assert HttpClient(script.url).request("GET", "/q", query=iter(pairs)) == b"{}"  # type: ignore[attr-defined]

    assert script.received[0].query == pairs


def test_path_prefix_and_methods_follow_the_routes_table(script: Script) -> None:
    script.reply(200, {"experiment": {"experiment_id": "7", "name": "e"}})
    store = RestStore(script.url + "/team/tracking/", options=OPTIONS)  # type: ignore[attr-defined]

    store.get_experiment("7")
    store.set_tag(RUN_ID, RunTag("k", "v"))

    assert [(r.method, r.path) for r in script.received] == [
        ("GET", "/team/tracking/api/2.0/mlflow/experiments/get"),
        ("POST", "/team/tracking/api/2.0/mlflow/runs/set-tag"),
    ]
    assert json.loads(script.received[1].body) == {"run_id": RUN_ID, "key": "k", "value": "v"}
    assert script.received[1].headers["content-type"] == "application/json"


def test_non_finite_values_travel_as_protobuf_names(script: Script) -> None:
    script.reply(200, _RUN_JSON)
    store = _store(script)

    store.log_batch(RUN_ID, metrics=[Metric("m", float("inf"), 1, 0), Metric("m", -0.0, 2, 1)])
    run = store.get_run(RUN_ID)

    sent = json.loads(script.received[0].body)["metrics"]
    assert [point["value"] for point in sent] == ["Infinity", -0.0]
    assert str(sent[1]["value"]) == "-0.0"
    value = run.data.latest_metrics[0].value
    assert value != value  # "NaN" came back as a float NaN
    assert (run.data.latest_metrics[0].timestamp, run.data.latest_metrics[0].step) == (7, 2)


@pytest.mark.parametrize(
    ("start_step", "end_step", "expected"),
    [
        (None, None, []),
        (3, 9, [("start_step", "3"), ("end_step", "9")]),
        (None, 9, [("start_step", str(-(2**31))), ("end_step", "9")]),
        (3, None, [("start_step", "3"), ("end_step", str(2**31 - 1))]),
    ],
)
def test_downsampled_history_query(
    script: Script,
    start_step: int | None,
    end_step: int | None,
    expected: list[tuple[str, str]],
) -> None:
    script.reply(200, {"metrics": [{"key": "m", "value": 1, "timestamp": 1, "run_id": "r1"}]})

    points = _store(script).get_metric_history_downsampled(
        ["r1", "r2", "r1"], "m", 50, start_step=start_step, end_step=end_step
    )

    query = script.received[0].query
    assert query == [
        ("run_ids", "r1"),
        ("run_ids", "r2"),
        ("metric_key", "m"),
        *expected,
        ("max_results", "50"),
    ]
    assert [(p.run_id, p.metric) for p in points] == [("r1", Metric("m", 1.0, 1, 0))]


def test_downsampled_history_of_many_runs_is_asked_in_chunks(script: Script) -> None:
    script.reply(200, {"metrics": []})
    run_ids = [f"r{i}" for i in range(250)]

    assert _store(script).get_metric_history_downsampled(run_ids, "m", 10) == []

    chunks = [[v for k, v in r.query if k == "run_ids"] for r in script.received]
    assert chunks == [run_ids[:100], run_ids[100:200], run_ids[200:]]


@pytest.mark.parametrize("max_points", [0, -1, True])
def test_downsampled_history_refuses_bad_max_points(script: Script, max_points: int) -> None:
    with pytest.raises(InvalidParameter, match="max_points"):
        _store(script).get_metric_history_downsampled(["r1"], "m", max_points)
    assert script.received == []


def test_pages_carry_the_next_token(script: Script) -> None:
    script.reply(
        200, {"metrics": [{"key": "m", "value": 2, "timestamp": 3}], "next_page_token": "t2"}
    )
    script.reply(200, {"metrics": []})
    store = _store(script)

    first = store.get_metric_history(RUN_ID, "m", max_results=1)
    last = store.get_metric_history(RUN_ID, "m", max_results=1, page_token=first.token)

    assert (list(first), first.token, list(last), last.token) == (
        [Metric("m", 2.0, 3, 0)],
        "t2",
        [],
        None,
    )
    assert dict(script.received[1].query) == {
        "run_id": RUN_ID,
        "metric_key": "m",
        "page_token": "t2",
        "max_results": "1",
    }


# -- logged models ------------------------------------------------------------------------

MODEL_ID = "m-" + "b" * 32
_MODEL_JSON = {
    "model": {
        "info": {
            "model_id": MODEL_ID,
            "experiment_id": "1",
            "name": "clf",
            "creation_timestamp_ms": "5",
            "last_updated_timestamp_ms": 6,
            "artifact_uri": "s3://bucket/1/models/m/artifacts",
            "status": "LOGGED_MODEL_READY",
            "tags": [{"key": "t", "value": "1"}],
        },
        "data": {"params": [{"key": "p", "value": "2"}]},
    }
}
_MODELS = "/api/2.0/mlflow/logged-models"
_UNSET_DATASET = {"dataset_name": None, "dataset_digest": None}


def test_logged_models_decode_from_the_wire(script: Script) -> None:
    script.reply(200, _MODEL_JSON)

    model = _store(script).logged_models.get_logged_model(MODEL_ID, allow_deleted=True)

    assert (model.model_id, model.name, model.status, model.creation_timestamp_ms) == (
        MODEL_ID,
        "clf",
        LoggedModelStatus.READY,
        5,
    )
    assert (dict(model.tags), dict(model.params)) == ({"t": "1"}, {"p": "2"})
    assert script.received[0].query == [("allow_deleted", "true")]


@pytest.mark.parametrize(
    ("call", "args", "method", "path", "body"),
    [
        ("get_logged_model", (MODEL_ID,), "GET", f"/{MODEL_ID}", None),
        (
            "finalize_logged_model",
            (MODEL_ID, LoggedModelStatus.FAILED),
            "PATCH",
            f"/{MODEL_ID}",
            {"model_id": MODEL_ID, "status": "LOGGED_MODEL_UPLOAD_FAILED"},
        ),
        (
            "set_logged_model_tags",
            (MODEL_ID, [RunTag("k", "v")]),
            "PATCH",
            f"/{MODEL_ID}/tags",
            {"model_id": MODEL_ID, "tags": [{"key": "k", "value": "v"}]},
        ),
        (
            "delete_logged_model_tag",
            (MODEL_ID, "a/b c"),
            "DELETE",
            f"/{MODEL_ID}/tags/a%2Fb%20c",
            {"model_id": MODEL_ID, "tag_key": "a/b c"},
        ),
        (
            "log_logged_model_params",
            (MODEL_ID, [Param("k", "v")]),
            "POST",
            f"/{MODEL_ID}/params",
            {"model_id": MODEL_ID, "params": [{"key": "k", "value": "v"}]},
        ),
        ("delete_logged_model", (MODEL_ID,), "DELETE", f"/{MODEL_ID}", {"model_id": MODEL_ID}),
        (
            "create_logged_model",
            ("1", "clf"),
            "POST",
            "",
            {"experiment_id": "1", "name": "clf"},
        ),
    ],
)
def test_logged_model_calls_follow_the_routes_table(
    script: Script,
    call: str,
    args: tuple[object, ...],
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    script.reply(200, _MODEL_JSON)

    getattr(_store(script).logged_models, call)(*args)

    received = script.received[0]
    assert (received.method, received.path) == (method, _MODELS + path)
    assert (json.loads(received.body) if received.body else None) == body


def test_logged_model_search_sends_order_by_as_objects(script: Script) -> None:
    script.reply(200, {"models": [_MODEL_JSON["model"]], "next_page_token": "t2"})

    page = _store(script).logged_models.search_logged_models(
        ["1", "2"],
        filter_string="name = 'clf'",
        max_results=5,
        order_by=["params.`my key` desc", "name", "creation_timestamp ASC"],
        page_token="t1",
    )

    assert ([model.model_id for model in page], page.token) == ([MODEL_ID], "t2")
    assert (script.received[0].method, script.received[0].path) == ("POST", _MODELS + "/search")
    assert json.loads(script.received[0].body) == {
        "experiment_ids": ["1", "2"],
        "filter": "name = 'clf'",
        "max_results": 5,
        "order_by": [
            {**_UNSET_DATASET, "field_name": "params.`my key`", "ascending": False},
            {**_UNSET_DATASET, "field_name": "name", "ascending": True},
            {**_UNSET_DATASET, "field_name": "creation_timestamp", "ascending": True},
        ],
        "page_token": "t1",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"order_by": ["name SIDEWAYS"]}, "ASC or DESC"),
        ({"max_results": 0}, "max_results"),
        ({"max_results": 10_001}, "max_results"),
    ],
)
def test_logged_model_search_refuses_bad_arguments_before_sending(
    script: Script, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidParameter, match=message):
        _store(script).logged_models.search_logged_models(["1"], **arguments)  # type: ignore[arg-type]
    assert script.received == []


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("get_logged_model", ("",)),
        ("delete_logged_model", ("",)),
        ("delete_logged_model_tag", (MODEL_ID, "")),
    ],
)
def test_empty_model_ids_and_tag_keys_are_not_found_without_a_request(
    script: Script, call: str, args: tuple[object, ...]
) -> None:
    with pytest.raises(NotFound):
        getattr(_store(script).logged_models, call)(*args)
    assert script.received == []


@pytest.mark.parametrize(
    ("call", "args", "attempts"),
    [
        # Creating twice makes two models; deleting twice fails: sent once.
        ("create_logged_model", ("1",), 1),
        ("delete_logged_model", (MODEL_ID,), 1),
        ("delete_logged_model_tag", (MODEL_ID, "k"), 1),
        # Repeating these changes nothing: retried.
        ("get_logged_model", (MODEL_ID,), 2),
        ("finalize_logged_model", (MODEL_ID, LoggedModelStatus.READY), 2),
        ("set_logged_model_tags", (MODEL_ID, [RunTag("k", "v")]), 2),
        ("log_logged_model_params", (MODEL_ID, [Param("k", "v")]), 2),
        ("search_logged_models", (["1"],), 2),
    ],
)
def test_logged_model_calls_are_retried_after_an_unclear_failure_only_when_safe(
    script: Script, call: str, args: tuple[object, ...], attempts: int
) -> None:
    _fail_once(script, DROP)
    script.reply(200, _MODEL_JSON)
    models = _store(script).logged_models

    if attempts == 1:
        with pytest.raises(ServiceUnavailable):
            getattr(models, call)(*args)
    else:
        getattr(models, call)(*args)
    assert len(script.received) == attempts


# -- which store a URI opens ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "kind"),
    [("http://127.0.0.1:5000", "RestStore"), ("https://tracking.example/x", "RestStore")],
)
def test_server_uris_open_a_rest_store(uri: str, kind: str) -> None:
    store = store_for_settings(Settings(tracking_uri=uri))
    try:
        assert type(store).__name__ == kind
    finally:
        store.close()


def test_database_uris_open_the_sql_store(tmp_path: Path) -> None:
    store = store_for_settings(Settings(tracking_uri=f"sqlite:///{tmp_path / 't.db'}"))
    try:
        assert type(store).__name__ == "SqlStore"
    finally:
        store.close()


def test_the_store_layer_points_server_uris_to_the_client() -> None:
    with pytest.raises(InvalidParameter, match=r"client\.stores"):
        store_for_uri("http://127.0.0.1:5000", "/tmp/artifacts")
