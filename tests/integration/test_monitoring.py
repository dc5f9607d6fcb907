"""Production monitoring end to end: a model drifts and the check notices, through the client
and through ``trackstone models check`` (exit codes, JSON), on an embedded SQLite store, on
PostgreSQL and through a real server on 127.0.0.1."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from support.app_server import AppServer
from support.cli import assert_one_line_error
from trackstone.cli.main import main
from trackstone.client.client import TrackstoneClient
from trackstone.clock import ManualClock
from trackstone.config import Settings
from trackstone.entities.registry import BaselineOrigin
from trackstone.errors import InvalidParameter, NotFound

START_MS = 1_700_000_000_000
HOUR_MS = 3_600_000
# Training reached 0.90 accuracy; in production it loses 0.002 per hour from hour 1 on.
TRAINED_ACCURACY = 0.90
DRIFT_PER_HOUR = 0.002
RULE = "accuracy>=-0.02rel@6h"
LATENCY_RULE = "latency_ms<=5abs@6h"


def _accuracy_at(hour: int) -> float:
    return TRAINED_ACCURACY - DRIFT_PER_HOUR * hour


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start_ms=START_MS)


@pytest.fixture(scope="module")
def app_server() -> Iterator[AppServer]:
    with AppServer.start() as server:
        yield server


@contextmanager
def _tracking_uri(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[str | None]:
    """None (the client's embedded SQLite store), a PostgreSQL URI, or a real server's URL."""
    if request.param == "embedded":
        yield None
        return
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_uri")
        return
    from trackstone.config import ServerSettings
    from trackstone.server.app import create_app
    from trackstone.store.sql.store import SqlStore

    server: AppServer = request.getfixturevalue("app_server")
    backing = SqlStore(
        f"sqlite:///{tmp_path / 'server.db'}", str(tmp_path / "artifacts"), clock=clock
    )
    settings = ServerSettings(
        backend_store_uri=f"sqlite:///{tmp_path / 'server.db'}",
        artifacts_destination=str(tmp_path / "artifacts"),
    )
    try:
        with server.mounted(create_app(settings, store=backing)) as url:
            yield url
    finally:
        backing.close()


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres), "rest"])
def client(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[TrackstoneClient]:
    """A client on SQLite, on PostgreSQL, or on a real server (RestStore.registry)."""
    with _tracking_uri(request, tmp_path, clock) as url:
        settings = Settings(data_dir=tmp_path / "data", spool_dir=tmp_path / "spool")
        opened = TrackstoneClient(url, settings=settings, clock=clock)
        yield opened
        opened.close()


@pytest.fixture
def champion(client: TrackstoneClient) -> str:
    """Register version 1 of "churn" from a run that logged its metrics; alias it champion."""
    run_id = client.create_run(client.create_experiment("churn-training")).info.run_id
    client.log_metric(run_id, "accuracy", TRAINED_ACCURACY)
    client.log_metric(run_id, "latency_ms", 40.0)
    client.set_terminated(run_id)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("churn", "champion", version.version)
    return version.version


def _cli(client: TrackstoneClient, *args: str) -> Result:
    return CliRunner().invoke(main, ["--tracking-uri", client.tracking_uri, "models", *args])


def _serve(client: TrackstoneClient, clock: ManualClock, hours: int) -> None:
    """Log one observation per hour for ``hours`` hours (the clock moves an hour each time)."""
    for _ in range(hours):
        clock.advance(HOUR_MS)
        hour = (clock.now_ms() - START_MS) // HOUR_MS
        client.log_production_metrics(
            "churn", "champion", {"accuracy": _accuracy_at(hour), "latency_ms": 41.0}
        )


# After h hours the mean of the last 6 h (hours h-6..h) is 0.90 - 0.002 * (h - 3), a relative
# drop of 0.002 * (h - 3) / 0.9: within 2 % up to hour 12, beyond it from hour 13.
DRIFT_CASES = [(6, True), (12, True), (13, False), (30, False)]


@pytest.mark.parametrize(("hours", "passed"), DRIFT_CASES)
def test_the_check_passes_early_and_fails_once_the_model_drifted(
    client: TrackstoneClient, clock: ManualClock, champion: str, hours: int, passed: bool
) -> None:
    _serve(client, clock, hours)
    report = client.check_against_baseline("churn", "champion", [RULE, LATENCY_RULE])
    assert (report.name, report.version, report.checked_at) == ("churn", champion, clock.now_ms())
    assert report.baseline_origin is BaselineOrigin.SOURCE_RUN
    accuracy, latency = report.checks
    assert accuracy.passed is passed
    assert report.passed is passed
    assert accuracy.baseline == TRAINED_ACCURACY
    # The window [now - 6h, now] holds the last 7 hourly points (or all of them, early on).
    assert accuracy.observations == min(hours, 7)
    window_hours = range(max(1, hours - 6), hours + 1)
    expected_mean = sum(_accuracy_at(h) for h in window_hours) / len(window_hours)
    assert accuracy.observed == pytest.approx(expected_mean)
    assert accuracy.deviation == pytest.approx((expected_mean - 0.9) / 0.9)
    assert (latency.passed, latency.deviation) == (True, pytest.approx(1.0))


@pytest.mark.parametrize(("hours", "passed"), DRIFT_CASES)
def test_models_check_exits_0_early_and_1_once_the_model_drifted(
    client: TrackstoneClient, clock: ManualClock, champion: str, hours: int, passed: bool
) -> None:
    _serve(client, clock, hours)
    at = str(clock.now_ms())
    result = _cli(
        client, "check", "churn@champion", "--rule", RULE, "--rule", LATENCY_RULE, "--at", at
    )
    assert result.exit_code == (0 if passed else 1), result.output
    assert ("FAIL" in result.stdout) is not passed
    assert f"churn version {champion}" in result.stdout

    by_number = _cli(client, "check", f"churn/{champion}", "--rule", RULE, "--at", at, "--json")
    assert by_number.exit_code == (0 if passed else 1), by_number.output
    report = json.loads(by_number.stdout)
    assert (report["version"], report["passed"], report["checked_at"]) == (
        champion,
        passed,
        clock.now_ms(),
    )
    (check,) = report["checks"]
    assert (check["rule_text"], check["passed"], check["baseline"]) == (
        "accuracy>=-0.02rel@6h",
        passed,
        TRAINED_ACCURACY,
    )


def test_an_explicit_baseline_replaces_the_run_metrics(
    client: TrackstoneClient, clock: ManualClock, champion: str
) -> None:
    _serve(client, clock, 20)
    assert client.check_against_baseline("churn", champion, [RULE]).passed is False
    # Accept the drifted model: its recent level becomes the expectation.
    client.set_baseline("churn", "champion", {"accuracy": 0.87})
    baseline = client.get_baseline("churn", 1)
    assert (dict(baseline.metrics), baseline.origin) == (
        {"accuracy": 0.87},
        BaselineOrigin.EXPLICIT,
    )
    report = client.check_against_baseline("churn", champion, [RULE])
    assert report.passed is True
    assert report.baseline_origin is BaselineOrigin.EXPLICIT
    # Clearing it falls back to the source run.
    client.set_baseline("churn", champion, {})
    assert client.get_baseline("churn", champion).origin is BaselineOrigin.SOURCE_RUN


def test_a_default_window_and_a_past_instant(
    client: TrackstoneClient, clock: ManualClock, champion: str
) -> None:
    _serve(client, clock, 30)
    # Without a window every point counts: the mean is the mean of hours 1..30.
    everything = client.check_against_baseline("churn", champion, ["accuracy>=-0.02rel"])
    assert everything.checks[0].observations == 30
    # A default window applies to rules that name none.
    recent = client.check_against_baseline(
        "churn", champion, ["accuracy>=-0.02rel"], window_s=2 * 3600
    )
    assert recent.checks[0].observations == 3
    assert recent.checks[0].rule.window_s == 7200.0
    # As of hour 6 the later points do not count: the check passes as it did then.
    then = client.check_against_baseline("churn", champion, [RULE], now=START_MS + 6 * HOUR_MS)
    assert (then.passed, then.checks[0].observations) == (True, 6)


def test_missing_data_fails_with_a_reason(client: TrackstoneClient, champion: str) -> None:
    report = client.check_against_baseline(
        "churn", champion, ["accuracy>=-0.02rel@6h", "recall>=0"]
    )
    assert [(c.passed, c.reason) for c in report.checks] == [
        (False, "no observations of 'accuracy' in the last 6h"),
        (False, "no baseline value for 'recall'"),
    ]
    result = _cli(client, "check", "churn@champion", "--rule", "accuracy>=0", "--at", str(START_MS))
    assert result.exit_code == 1, result.output
    assert "no observations of 'accuracy' up to now" in result.stdout


def test_a_nan_observation_fails_the_check(
    client: TrackstoneClient, clock: ManualClock, champion: str
) -> None:
    _serve(client, clock, 2)
    client.log_production_metrics("churn", champion, {"accuracy": math.nan})
    (point,) = [
        p
        for p in client.get_production_metrics("churn", "champion", key="accuracy")
        if math.isnan(p.value)
    ]
    assert point.timestamp == clock.now_ms()
    report = client.check_against_baseline("churn", champion, ["accuracy>=-1"])
    assert (report.passed, report.checks[0].reason) == (False, "1 of 3 observations are NaN")


def test_observations_are_logged_at_the_clock_time_or_the_given_one(
    client: TrackstoneClient, clock: ManualClock, champion: str
) -> None:
    client.log_production_metrics("churn", 1, {"accuracy": 0.5})
    client.log_production_metrics("churn", "1", {"accuracy": 0.6}, timestamp=START_MS + 5)
    client.log_production_metrics("churn", "champion", {})  # logs nothing
    points = client.get_production_metrics("churn", champion)
    assert [(p.key, p.value, p.timestamp) for p in points] == [
        ("accuracy", 0.5, START_MS),
        ("accuracy", 0.6, START_MS + 5),
    ]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda c: c.log_production_metrics("churn", "champion", {"accuracy": "high"}),
            InvalidParameter,
            "metrics['accuracy']: must be a number, got 'high'",
        ),
        (
            lambda c: c.log_production_metrics("churn", "", {"accuracy": 1.0}),
            InvalidParameter,
            "version_or_alias: must be a version number or an alias, got ''",
        ),
        (
            lambda c: c.log_production_metrics("churn", "challenger", {"accuracy": 1.0}),
            InvalidParameter,  # MLflow's code for an unknown alias
            "challenger",
        ),
        (
            lambda c: c.check_against_baseline("churn", "champion", ["accuracy=>0"]),
            InvalidParameter,
            "rules[0]: expected an operator",
        ),
        (
            lambda c: c.check_against_baseline("churn", "champion", []),
            InvalidParameter,
            "rules: give at least one rule",
        ),
        (
            lambda c: c.check_against_baseline("churn", "champion", ["a>=0"], window_s=0),
            InvalidParameter,
            "window_s: must be a number of seconds above 0, got 0",
        ),
        (
            lambda c: c.check_against_baseline("churn", "7", ["a>=0"]),
            NotFound,
            "7",
        ),
    ],
)
def test_bad_calls_raise_clear_errors(
    client: TrackstoneClient, champion: str, call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        call(client)  # type: ignore[operator]
    assert message in str(caught.value)
    assert client.get_production_metrics("churn", champion) == []


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (["churn@champion", "--rule", "accuracy=>0"], 2, "--rule: expected an operator"),
        (["churn@champion", "--rule", "accuracy>=0", "--window", "1w"], 2, "--window: must be"),
        (["churn", "--rule", "accuracy>=0"], 2, "names no version"),
        (["churn@champion"], 2, "Missing option '--rule'"),
        (["churn@challenger", "--rule", "accuracy>=0"], 1, "challenger"),
        (["nope/1", "--rule", "accuracy>=0"], 1, "nope"),
    ],
)
def test_models_check_errors_are_one_line(
    client: TrackstoneClient, champion: str, args: list[str], exit_code: int, fragment: str
) -> None:
    assert_one_line_error(_cli(client, "check", *args), exit_code, fragment)
