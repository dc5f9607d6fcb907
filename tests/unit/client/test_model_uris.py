"""Parsing ``models:/`` and ``runs:/`` URIs: every form, and the malformed ones refused."""

from __future__ import annotations

import pytest

from trackstone.client.model_uris import (
    ModelUri,
    ModelUriKind,
    RunsUri,
    is_model_uri,
    is_runs_uri,
    parse_model_uri,
    parse_runs_uri,
)
from trackstone.entities.registry import ModelVersionStage
from trackstone.errors import InvalidParameter

K = ModelUriKind
S = ModelVersionStage


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/churn/3", {"kind": K.VERSION, "name": "churn", "version": "3"}),
        ("models:/churn/3/", {"kind": K.VERSION, "name": "churn", "version": "3"}),
        ("MODELS:/churn/12", {"kind": K.VERSION, "name": "churn", "version": "12"}),
        (
            "models:/churn/3/data/model.pkl",
            {"kind": K.VERSION, "name": "churn", "version": "3", "path": "data/model.pkl"},
        ),
        ("models:/my model/1", {"kind": K.VERSION, "name": "my model", "version": "1"}),
        (
            "models:/churn/Production",
            {"kind": K.STAGE, "name": "churn", "stage": S.PRODUCTION},
        ),
        ("models:/churn/staging", {"kind": K.STAGE, "name": "churn", "stage": S.STAGING}),
        ("models:/churn/ARCHIVED", {"kind": K.STAGE, "name": "churn", "stage": S.ARCHIVED}),
        ("models:/churn/None", {"kind": K.STAGE, "name": "churn", "stage": S.NONE}),
        ("models:/churn/latest", {"kind": K.LATEST, "name": "churn"}),
        ("models:/churn/Latest/MLmodel", {"kind": K.LATEST, "name": "churn", "path": "MLmodel"}),
        ("models:/churn@champion", {"kind": K.ALIAS, "name": "churn", "alias": "champion"}),
        (
            "models:/churn@champion/MLmodel",
            {"kind": K.ALIAS, "name": "churn", "alias": "champion", "path": "MLmodel"},
        ),
        ("models:/a@b@c", {"kind": K.ALIAS, "name": "a@b", "alias": "c"}),
        (
            "models:/m-0123456789abcdef0123456789abcdef",
            {"kind": K.LOGGED_MODEL, "model_id": "m-0123456789abcdef0123456789abcdef"},
        ),
        # Two parts always mean <name>/<suffix>, as in MLflow, even for a name like an id.
        ("models:/m-abc/2", {"kind": K.VERSION, "name": "m-abc", "version": "2"}),
    ],
)
def test_parse_model_uri(uri: str, expected: dict[str, object]) -> None:
    assert parse_model_uri(uri) == ModelUri(uri=uri, **expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/", "expected models:/<name>/<version>"),
        ("models:", "expected models:/<name>/<version>"),
        ("models:churn/1", "expected models:/<name>/<version>"),
        ("models://host/churn/1", "no host part"),
        ("models:/churn", "names no version"),
        ("models:/churn/", "names no version"),
        ("models:/churn/prod", "'prod' is neither a version number, a stage"),
        ("models:/churn/-1", "'-1' is neither a version number"),
        ("models:/@champion", r"expected models:/<name>@<alias>"),
        ("models:/churn@", r"expected models:/<name>@<alias>"),
        ("models:/churn/1/../other", "must not hold empty, '.' or '..' parts"),
        ("models:/churn/1/a//b", "must not hold empty"),
        ("models:/ /1", "expected models:/<name>/<version>"),
        ("runs:/abc/model", "expected models:/<name>/<version>"),
        ("s3://bucket/model", "expected models:/<name>/<version>"),
    ],
)
def test_malformed_model_uris_are_refused_naming_the_uri(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as raised:
        parse_model_uri(uri)
    assert repr(uri) in raised.value.message


def test_the_field_name_is_the_callers() -> None:
    with pytest.raises(InvalidParameter, match=r"^artifact_uri 'models:/x'"):
        parse_model_uri("models:/x", field="artifact_uri")


@pytest.mark.parametrize(
    ("uri", "run_id", "path"),
    [
        ("runs:/abc/model", "abc", "model"),
        ("runs:/abc/model/", "abc", "model"),
        ("runs:/abc", "abc", ""),
        ("runs:/abc/a/b.txt", "abc", "a/b.txt"),
        ("RUNS:/abc/x", "abc", "x"),
    ],
)
def test_parse_runs_uri(uri: str, run_id: str, path: str) -> None:
    assert parse_runs_uri(uri) == RunsUri(uri, run_id, path)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("runs:/", r"expected runs:/<run_id>/<path>"),
        ("runs:", r"expected runs:/<run_id>/<path>"),
        ("runs://host/abc/x", "no host part"),
        ("models:/churn/1", r"expected runs:/<run_id>/<path>"),
    ],
)
def test_malformed_runs_uris_are_refused(uri: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_runs_uri(uri)


@pytest.mark.parametrize(
    ("uri", "model", "runs"),
    [
        ("models:/a/1", True, False),
        ("Models:/a/1", True, False),
        ("runs:/abc/x", False, True),
        ("/data/models/a", False, False),
        ("s3://models/a", False, False),
        ("modelsx:/a/1", False, False),
    ],
)
def test_scheme_checks(uri: str, model: bool, runs: bool) -> None:
    assert (is_model_uri(uri), is_runs_uri(uri)) == (model, runs)
