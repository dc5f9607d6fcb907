"""Rule text and mapping parsing: the grammar, its errors, and the text round trip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackstone.errors import InvalidParameter
from trackstone.monitoring.report import Rule
from trackstone.monitoring.rules import (
    format_duration,
    format_rule,
    parse_duration,
    parse_rule,
    parse_rules,
    rule_from_mapping,
    rule_to_mapping,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accuracy>=-0.02rel", Rule("accuracy", ">=", -0.02, True)),
        ("latency_ms<=5abs", Rule("latency_ms", "<=", 5.0, False)),
        ("error_rate<=0.1rel", Rule("error_rate", "<=", 0.1, True)),
        ("loss~=0.05", Rule("loss", "~=", 0.05, False)),
        ("accuracy>=-0.02rel@24h", Rule("accuracy", ">=", -0.02, True, 86_400.0)),
        ("accuracy>=-2%", Rule("accuracy", ">=", -0.02, True)),
        ("p99<=+3@90s", Rule("p99", "<=", 3.0, False, 90.0)),
        ("p99<=3ABS@30m", Rule("p99", "<=", 3.0, False, 1_800.0)),
        ("p99<=3REL@7d", Rule("p99", "<=", 3.0, True, 604_800.0)),
        ("p99<=.5@1.5h", Rule("p99", "<=", 0.5, False, 5_400.0)),
        ("x<=1e-3", Rule("x", "<=", 0.001, False)),
        ("  accuracy >= -0.02 rel @ 24h  ", Rule("accuracy", ">=", -0.02, True, 86_400.0)),
        ("val/loss-1.top:5>=0", Rule("val/loss-1.top:5", ">=", 0.0, False)),
        ("`a>=b`<=1", Rule("a>=b", "<=", 1.0, False)),
        ('"queue depth"<=10', Rule("queue depth", "<=", 10.0, False)),
        ("`odd``key`~=0", Rule("odd`key", "~=", 0.0, False)),
        ('"say ""hi"""<=1', Rule('say "hi"', "<=", 1.0, False)),
        ("`m@x`>=0@1d", Rule("m@x", ">=", 0.0, False, 86_400.0)),
        ("précision>=0", Rule("précision", ">=", 0.0, False)),
    ],
)
def test_parse_rule(text: str, expected: Rule) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a metric key at position 0"),
        (">=1", "expected a metric key (quote a key holding '>' in backticks) at position 0"),
        ("acc=>1", "expected an operator (>=, <= or ~=), got '=>' at position 3"),
        ("acc>1", "expected an operator (>=, <= or ~=), got '>1' at position 3"),
        ("acc", "expected an operator (>=, <= or ~=), got 'the end' at position 3"),
        ("acc>=", "expected a number (the threshold) at position 5"),
        ("acc>=high", "expected a number (the threshold) at position 5"),
        ("acc>=1xyz", "unexpected 'xyz' (expected abs, rel, % or @window) at position 6"),
        ("acc>=1e999", "threshold 1e999 is out of range at position 5"),
        ("acc>=1@", "expected a window such as 30m, 24h or 7d after '@' at position 7"),
        ("acc>=1@24", "expected a window such as 30m, 24h or 7d after '@' at position 7"),
        ("acc>=1@24w", "expected a window such as 30m, 24h or 7d after '@' at position 7"),
        ("acc>=1@0h", "the window must be longer than 0 at position 7"),
        ("acc>=1@2d junk", "unexpected 'junk' (expected the end of the rule) at position 10"),
        ("loss~=-0.1", "a ~= threshold bounds the deviation's size and must not be negative"),
        ("`abc>=1", "unterminated `-quoted key at position 0"),
        ('"abc>=1', 'unterminated "-quoted key at position 0'),
        ("``>=1", "empty metric key at position 0"),
    ],
)
def test_parse_rule_errors_name_the_position_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_rule(text, field="rules[1]")
    assert caught.value.message.startswith("rules[1]: ")
    assert message in caught.value.message
    assert f"in rule {text!r}" in caught.value.message


def test_parse_rule_refuses_what_is_not_text() -> None:
    with pytest.raises(InvalidParameter, match=r"rule: must be a rule text, got 3"):
        parse_rule(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (
            {"metric": "accuracy", "operator": ">=", "threshold": -0.02, "relative": True},
            Rule("accuracy", ">=", -0.02, True),
        ),
        ({"metric": "loss", "operator": "~=", "threshold": 1}, Rule("loss", "~=", 1.0)),
        (
            {"metric": "p99", "operator": "<=", "threshold": 5, "window_s": 3600},
            Rule("p99", "<=", 5.0, False, 3600.0),
        ),
        (
            {"metric": "p99", "operator": "<=", "threshold": 5, "window_s": None},
            Rule("p99", "<=", 5.0),
        ),
    ],
)
def test_rule_from_mapping(mapping: dict[str, Any], expected: Rule) -> None:
    rule = rule_from_mapping(mapping)
    assert rule == expected
    assert isinstance(rule.threshold, float)
    assert rule_from_mapping(rule_to_mapping(rule)) == rule


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"operator": ">=", "threshold": 1}, "rules[0].metric: is required"),
        ({"metric": "a", "threshold": 1}, "rules[0].operator: is required"),
        ({"metric": "a", "operator": ">="}, "rules[0].threshold: is required"),
        (
            {"metric": "a", "operator": ">=", "threshold": 1, "window": "1h"},
            "rules[0]: unknown field 'window' (expected metric, operator, threshold, relative, "
            "window_s)",
        ),
        (
            {"metric": "", "operator": ">=", "threshold": 1},
            "rules[0].metric: must be a non-empty string, got ''",
        ),
        (
            {"metric": 7, "operator": ">=", "threshold": 1},
            "rules[0].metric: must be a non-empty string, got 7",
        ),
        (
            {"metric": "a", "operator": ">", "threshold": 1},
            "rules[0].operator: must be one of >=, <=, ~=, got '>'",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": "1"},
            "rules[0].threshold: must be a finite number, got '1'",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": True},
            "rules[0].threshold: must be a finite number, got True",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": float("nan")},
            "rules[0].threshold: must be a finite number, got nan",
        ),
        (
            {"metric": "a", "operator": "~=", "threshold": -1},
            "rules[0].threshold: a ~= threshold must not be negative, got -1",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": 1, "relative": "yes"},
            "rules[0].relative: must be true or false, got 'yes'",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": 1, "window_s": 0},
            "rules[0].window_s: must be a number of seconds above 0 or null, got 0",
        ),
        (
            {"metric": "a", "operator": ">=", "threshold": 1, "window_s": "1h"},
            "rules[0].window_s: must be a number of seconds above 0 or null, got '1h'",
        ),
    ],
)
def test_rule_from_mapping_errors_name_the_field(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        rule_from_mapping(mapping, field="rules[0]")
    assert caught.value.message == message


def test_parse_rules_takes_text_mappings_and_rules_in_order() -> None:
    rules = parse_rules(
        [
            "accuracy>=-2%@1h",
            {"metric": "loss", "operator": "~=", "threshold": 0.5},
            Rule("latency_ms", "<=", 5),
        ]
    )
    assert rules == (
        Rule("accuracy", ">=", -0.02, True, 3600.0),
        Rule("loss", "~=", 0.5),
        Rule("latency_ms", "<=", 5.0),
    )


def test_parse_rules_accepts_a_lone_rule_text() -> None:
    assert parse_rules("loss~=1") == (Rule("loss", "~=", 1.0),)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "rules: give at least one rule"),
        (["loss~=1", "loss=1"], "rules[1]: expected an operator"),
        ([Rule("a", "<=", float("inf"))], "rules[0].threshold: must be a finite number, got inf"),
        ([3.5], "rules[0]: must be a rule text, a mapping or a Rule, got 3.5"),
    ],
)
def test_parse_rules_errors(items: list[Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_rules(items)
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90.0), ("30m", 1800.0), ("24h", 86_400.0), ("7d", 604_800.0), (" 1.5h ", 5400.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "0s", "1w", "1h30m", "1.h"])
def test_parse_duration_errors_name_the_field(text: str) -> None:
    with pytest.raises(InvalidParameter, match=r"^--window: must be"):
        parse_duration(text, field="--window")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (86_400, "1d"),
        (172_800, "2d"),
        (7200, "2h"),
        (5400, "90m"),
        (90, "90s"),
        (0.5, "0.5s"),
        (1e-05, "0.00001s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule("accuracy", ">=", -0.02, True, 86_400.0), "accuracy>=-0.02rel@1d"),
        (Rule("loss", "~=", 0.05), "loss~=0.05abs"),
        (Rule("latency ms", "<=", 5.0, False, 60.0), "`latency ms`<=5abs@1m"),
        (Rule("a`b", "<=", 1e-05), "`a``b`<=1e-05abs"),
    ],
)
def test_format_rule(rule: Rule, text: str) -> None:
    assert format_rule(rule) == text


_keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1)


@given(
    metric=_keys,
    operator=st.sampled_from([">=", "<=", "~="]),
    threshold=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    relative=st.booleans(),
    window_s=st.none() | st.floats(min_value=1e-6, max_value=1e12),
)
def test_format_rule_reads_back_to_the_same_rule(
    metric: str, operator: Any, threshold: float, relative: bool, window_s: float | None
) -> None:
    if operator == "~=":
        threshold = abs(threshold)
    rule = Rule(metric, operator, threshold, relative, window_s)
    assert parse_rule(format_rule(rule)) == rule
