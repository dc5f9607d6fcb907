"""``trackstone models check``: judge a model version's production metrics against its baseline.

Exit codes (for cron jobs and CI steps): 0 every rule passed; 1 a rule failed (a deviation
beyond its threshold, or a metric that could not be judged: no baseline value, no observations
in the window, NaN observations, a relative rule on a zero baseline) or the check could not
run (unknown model, version or alias; store unreachable); 2 bad usage (an unparsable rule,
window or model reference). Errors are one line on stderr, as for every command.
"""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table
from rich.text import Text

from trackstone.cli.options import json_option
from trackstone.cli.output import echo_json, format_time_ms, stdout_console, to_jsonable
from trackstone.cli.state import CliState, pass_state
from trackstone.client.model_uris import ModelUri, ModelUriKind, is_model_uri, parse_model_uri
from trackstone.errors import InvalidParameter
from trackstone.monitoring.report import BaselineReport, MetricCheck, Rule
from trackstone.monitoring.rules import format_rule, parse_duration, parse_rule

__all__ = ["EXIT_CHECK_FAILED", "check", "report_to_json"]

EXIT_CHECK_FAILED = 1
_MISSING = "-"


def _target(text: str) -> ModelUri:
    """Parse ``NAME@ALIAS``, ``NAME/VERSION`` (or stage, ``latest``) or a ``models:/`` URI."""
    uri = text if is_model_uri(text) else f"models:/{text}"
    try:
        parsed = parse_model_uri(uri, field="MODEL")
    except InvalidParameter as error:
        raise click.UsageError(error.message) from None
    if parsed.kind is ModelUriKind.LOGGED_MODEL or parsed.path:
        raise click.UsageError(
            f"MODEL {text!r}: expected NAME@ALIAS or NAME/VERSION (a registered model version)"
        )
    return parsed


def _rules(texts: tuple[str, ...]) -> list[Rule]:
    try:
        return [parse_rule(text, field="--rule") for text in texts]
    except InvalidParameter as error:
        raise click.UsageError(error.message) from None


def _window_s(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text, field="--window")
    except InvalidParameter as error:
        raise click.UsageError(error.message) from None


def report_to_json(report: BaselineReport) -> dict[str, Any]:
    """Return a report as JSON: the version, ``passed``, and each check with its rule text."""
    return {
        "name": report.name,
        "version": report.version,
        "baseline_origin": report.baseline_origin.value,
        "checked_at": report.checked_at,
        "passed": report.passed,
        "checks": [
            {"rule_text": format_rule(check.rule), **to_jsonable(check)} for check in report.checks
        ],
    }


def _number(value: float | None) -> str:
    return _MISSING if value is None else f"{value:.6g}"


def _deviation(check: MetricCheck) -> str:
    if check.deviation is None:
        return _MISSING
    if check.rule.relative:
        return f"{check.deviation:+.2%}"
    return f"{check.deviation:+.6g}"


def _print_report(report: BaselineReport) -> None:
    title = (
        f"{report.name} version {report.version} - baseline: {report.baseline_origin.value} - "
        f"as of {format_time_ms(report.checked_at)}"
    )
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in ("metric", "baseline", "observed", "n", "deviation", "rule", "result"):
        table.add_column(column, no_wrap=column != "result", overflow="fold")
    for check in report.checks:
        result = Text("pass", style="green")
        if not check.passed:
            result = Text("FAIL", style="bold red")
            result.append(f": {check.reason}", style="red")
        table.add_row(
            Text(check.rule.metric),
            Text(_number(check.baseline)),
            Text(_number(check.observed)),
            Text(str(check.observations)),
            Text(_deviation(check)),
            Text(format_rule(check.rule)),
            result,
        )
    console = stdout_console()
    console.print(table)
    failed = sum(1 for check in report.checks if not check.passed)
    summary = f"{len(report.checks)} rules: {len(report.checks) - failed} passed, {failed} failed"
    console.print(summary, style="red" if failed else "green", markup=False)


@click.command("check")
@click.argument("model", metavar="NAME@ALIAS|NAME/VERSION")
@click.option(
    "--rule",
    "rule_texts",
    multiple=True,
    required=True,
    metavar="RULE",
    help="e.g. 'accuracy>=-0.02rel@24h', 'latency_ms<=5abs', 'loss~=0.05'; repeatable.",
)
@click.option(
    "--window",
    metavar="DURATION",
    help="Window of the rules that name none, e.g. 30m, 24h, 7d. Default: every observation.",
)
@click.option(
    "--at",
    "at_ms",
    type=click.IntRange(min=0),
    metavar="MS",
    help="Check as of this instant (ms since the epoch) instead of now.",
)
@json_option
@pass_state
@click.pass_context
def check(
    ctx: click.Context,
    state: CliState,
    model: str,
    rule_texts: tuple[str, ...],
    window: str | None,
    at_ms: int | None,
    as_json: bool,
) -> None:
    """Check a model version's production metrics against its baseline.

    Each rule compares the mean of the metric's recent production values with the baseline
    (set with set_baseline, else the source run's metrics). Exits 0 when every rule passes,
    1 when one fails or cannot be judged (missing data counts as a failure), 2 on bad usage.
    """
    from trackstone.client.model_uris import resolve_model_version
    from trackstone.client.monitoring_methods import check_model_version
    from trackstone.clock import SystemClock
    from trackstone.store.registry import registry_of

    target = _target(model)
    rules = _rules(rule_texts)
    window_s = _window_s(window)
    now_ms = at_ms if at_ms is not None else SystemClock().now_ms()
    registry = registry_of(state.store)
    version = resolve_model_version(registry, target).version
    report = check_model_version(
        registry, target.name, version, rules, now_ms=now_ms, window_s=window_s
    )
    if as_json:
        echo_json(report_to_json(report))
    else:
        _print_report(report)
    if not report.passed:
        ctx.exit(EXIT_CHECK_FAILED)
