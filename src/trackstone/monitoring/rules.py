"""Parse monitoring rules (``accuracy>=-0.02rel@24h``) from text or a mapping into ``Rule``s.

Rule grammar (whitespace between the parts is ignored; positions in error messages are 0-based
character offsets into the text)::

    rule      := key operator threshold [ unit ] [ "@" window ]
    key       := bare | "`" ( any | "``" )* "`" | '"' ( any | '""' )* '"'
    bare      := [A-Za-z0-9_./:-]+            (letters of any script count as letters)
    operator  := ">=" | "<=" | "~="
    threshold := [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
    unit      := "abs" | "rel" | "%"          (any case; "abs" when absent; "-2%" is "-0.02rel")
    window    := digits [ "." digits ] ( "s" | "m" | "h" | "d" )

A key holding spaces, operators or ``@`` is written in backticks or double quotes; a doubled
quote inside stands for one quote character (```odd``key`>=0`` is the key ``odd`key``).

Meaning (see ``Rule``): ``deviation <operator> threshold`` where the deviation is
``observed - baseline`` (abs) or ``(observed - baseline) / |baseline|`` (rel), and
``observed`` is the mean of the production values of the last ``window`` (the caller's default
window when absent). ``~=`` bounds the size of the deviation either way, so its threshold must
not be negative. Examples::

    accuracy>=-0.02rel@24h   accuracy may drop by at most 2 % (mean of the last day)
    latency_ms<=5abs         latency may grow by at most 5 ms
    error_rate<=10%          the error rate may grow by at most 10 % of its baseline
    loss~=0.05               loss must stay within 0.05 of its baseline, up or down

The mapping form (for JSON bodies and the Python client) names ``Rule``'s fields:
``{"metric": "accuracy", "operator": ">=", "threshold": -0.02, "relative": true,
"window_s": 86400}`` (``relative`` defaults to false, ``window_s`` to null).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from trackstone.errors import InvalidParameter
from trackstone.monitoring.report import Rule, RuleOperator

__all__ = [
    "OPERATORS",
    "format_duration",
    "format_rule",
    "parse_duration",
    "parse_rule",
    "parse_rules",
    "rule_from_mapping",
    "rule_to_mapping",
    "validate_rule",
]

OPERATORS: tuple[RuleOperator, ...] = (">=", "<=", "~=")

_BARE_KEY = re.compile(r"[\w./:\-]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"abs|rel|%", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_MAPPING_FIELDS = ("metric", "operator", "threshold", "relative", "window_s")


class _Scanner:
    """Walks one rule's text, remembering the position for error messages."""

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.field = field
        self.position = 0

    def fail(self, problem: str) -> InvalidParameter:
        return InvalidParameter(
            f"{self.field}: {problem} at position {self.position} in rule {self.text!r}"
        )

    def skip_spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def at_end(self) -> bool:
        return self.position >= len(self.text)

    def rest(self) -> str:
        return self.text[self.position :]

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.position)
        if found is None:
            return None
        self.position = found.end()
        return found.group(0)

    def key(self) -> str:
        if self.at_end():
            raise self.fail("expected a metric key")
        quote = self.text[self.position]
        if quote in '`"':
            return self.quoted(quote)
        bare = self.match(_BARE_KEY)
        if bare is None:
            raise self.fail(
                "expected a metric key (quote a key holding "
                f"{self.text[self.position]!r} in backticks)"
            )
        return bare

    def quoted(self, quote: str) -> str:
        start = self.position
        self.position += 1
        parts: list[str] = []
        while True:
            end = self.text.find(quote, self.position)
            if end < 0:
                self.position = start
                raise self.fail(f"unterminated {quote}-quoted key")
            parts.append(self.text[self.position : end])
            if self.text.startswith(quote * 2, end):
                parts.append(quote)
                self.position = end + 2
                continue
            self.position = end + 1
            key = "".join(parts)
            if not key:
                self.position = start
                raise self.fail("empty metric key")
            return key

    def operator(self) -> RuleOperator:
        for operator in OPERATORS:
            if self.text.startswith(operator, self.position):
                self.position += len(operator)
                return operator
        got = self.rest()[:2] or "the end"
        raise self.fail(f"expected an operator (>=, <= or ~=), got {got!r}")

    def threshold(self) -> tuple[float, bool]:
        start = self.position
        number = self.match(_NUMBER)
        if number is None:
            raise self.fail("expected a number (the threshold)")
        threshold = float(number)
        if not math.isfinite(threshold):
            self.position = start
            raise self.fail(f"threshold {number} is out of range")
        self.skip_spaces()
        unit = (self.match(_UNIT) or "abs").lower()
        if unit == "%":
            return threshold / 100, True
        return threshold, unit == "rel"

    def window_s(self) -> float:
        start = self.position
        found = _DURATION.match(self.text, self.position)
        if found is None:
            raise self.fail("expected a window such as 30m, 24h or 7d after '@'")
        self.position = found.end()
        seconds = float(found.group(1)) * _SECONDS_PER_UNIT[found.group(2)]
        if seconds <= 0:
            self.position = start
            raise self.fail("the window must be longer than 0")
        return seconds


def parse_rule(text: str, field: str = "rule") -> Rule:
    """Parse one rule written as text.

    Args:
        text: e.g. ``"accuracy>=-0.02rel@24h"`` (grammar in this module's docstring).
        field: how error messages name the rule (``rules[2]``).

    Returns:
        The rule; ``window_s`` is None when the text names no window.

    Raises:
        InvalidParameter: the text breaks the grammar; the message gives the position.

    Example:
        >>> parse_rule("accuracy>=-0.02rel@24h")
        Rule(metric='accuracy', operator='>=', threshold=-0.02, relative=True, window_s=86400.0)
    """
    if not isinstance(text, str):
        raise InvalidParameter(f"{field}: must be a rule text, got {text!r}")
    scanner = _Scanner(text, field)
    scanner.skip_spaces()
    metric = scanner.key()
    scanner.skip_spaces()
    operator = scanner.operator()
    scanner.skip_spaces()
    threshold_at = scanner.position
    threshold, relative = scanner.threshold()
    if operator == "~=" and threshold < 0:
        scanner.position = threshold_at
        raise scanner.fail("a ~= threshold bounds the deviation's size and must not be negative")
    scanner.skip_spaces()
    expected = "abs, rel, % or @window"
    window_s: float | None = None
    if scanner.rest().startswith("@"):
        scanner.position += 1
        scanner.skip_spaces()
        window_s = scanner.window_s()
        scanner.skip_spaces()
        expected = "the end of the rule"
    if not scanner.at_end():
        raise scanner.fail(f"unexpected {scanner.rest()!r} (expected {expected})")
    return Rule(metric, operator, threshold, relative, window_s)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_rule(rule: Rule, field: str = "rule") -> Rule:
    """Return ``rule`` with a float threshold if every field holds an acceptable value.

    Raises:
        InvalidParameter: naming the field, e.g. ``rules[0].threshold: must be a finite
            number, got 'x'``.
    """
    if not isinstance(rule.metric, str) or not rule.metric:
        raise InvalidParameter(f"{field}.metric: must be a non-empty string, got {rule.metric!r}")
    if rule.operator not in OPERATORS:
        raise InvalidParameter(
            f"{field}.operator: must be one of >=, <=, ~=, got {rule.operator!r}"
        )
    if not _number(rule.threshold) or not math.isfinite(rule.threshold):
        raise InvalidParameter(
            f"{field}.threshold: must be a finite number, got {rule.threshold!r}"
        )
    if rule.operator == "~=" and rule.threshold < 0:
        raise InvalidParameter(
            f"{field}.threshold: a ~= threshold must not be negative, got {rule.threshold!r}"
        )
    if not isinstance(rule.relative, bool):
        raise InvalidParameter(f"{field}.relative: must be true or false, got {rule.relative!r}")
    window_s = rule.window_s
    if window_s is not None and (
        not _number(window_s) or not math.isfinite(window_s) or window_s <= 0
    ):
        raise InvalidParameter(
            f"{field}.window_s: must be a number of seconds above 0 or null, got {window_s!r}"
        )
    return Rule(
        rule.metric,
        rule.operator,
        float(rule.threshold),
        rule.relative,
        None if window_s is None else float(window_s),
    )


def rule_from_mapping(value: Mapping[str, Any], field: str = "rule") -> Rule:
    """Build a rule from its mapping form (``metric``, ``operator``, ``threshold``,
    ``relative``, ``window_s``), as JSON bodies and Python callers give it.

    Raises:
        InvalidParameter: a field is missing, unknown or holds a bad value (named in the message).

    Example:
        >>> rule_from_mapping({"metric": "loss", "operator": "~=", "threshold": 0.05})
        Rule(metric='loss', operator='~=', threshold=0.05, relative=False, window_s=None)
    """
    unknown = sorted(str(key) for key in value if key not in _MAPPING_FIELDS)
    if unknown:
        raise InvalidParameter(
            f"{field}: unknown field {unknown[0]!r} (expected {', '.join(_MAPPING_FIELDS)})"
        )
    for required in ("metric", "operator", "threshold"):
        if required not in value:
            raise InvalidParameter(f"{field}.{required}: is required")
    rule = Rule(
        metric=value["metric"],
        operator=cast(RuleOperator, value["operator"]),
        threshold=value["threshold"],
        relative=value.get("relative", False),
        window_s=value.get("window_s"),
    )
    return validate_rule(rule, field)


def rule_to_mapping(rule: Rule) -> dict[str, Any]:
    """Return the mapping form of a rule (the inverse of ``rule_from_mapping``)."""
    return {
        "metric": rule.metric,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "relative": rule.relative,
        "window_s": rule.window_s,
    }


def parse_rules(
    items: Iterable[str | Rule | Mapping[str, Any]], field: str = "rules"
) -> tuple[Rule, ...]:
    """Parse rules given as text, mappings or ``Rule``s; at least one is required.

    Raises:
        InvalidParameter: no rule was given, or one is bad (named ``rules[i]``).

    Example:
        >>> [r.metric for r in parse_rules(["accuracy>=-2%", {"metric": "loss",
        ...     "operator": "<=", "threshold": 0.1}])]
        ['accuracy', 'loss']
    """
    if isinstance(items, (str, Mapping, Rule)):
        # A lone rule where a list belongs: accept it rather than iterate its characters.
        items = [items]
    rules: list[Rule] = []
    for index, item in enumerate(items):
        item_field = f"{field}[{index}]"
        if isinstance(item, str):
            rules.append(parse_rule(item, item_field))
        elif isinstance(item, Rule):
            rules.append(validate_rule(item, item_field))
        elif isinstance(item, Mapping):
            rules.append(rule_from_mapping(item, item_field))
        else:
            raise InvalidParameter(
                f"{item_field}: must be a rule text, a mapping or a Rule, got {item!r}"
            )
    if not rules:
        raise InvalidParameter(f"{field}: give at least one rule (a check of nothing passes)")
    return tuple(rules)


def parse_duration(text: str, field: str = "window") -> float:
    """Parse a duration such as ``90s``, ``30m``, ``24h``, ``7d`` or ``1.5h`` into seconds.

    Raises:
        InvalidParameter: the text is not a positive number followed by s, m, h or d.
    """
    found = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise InvalidParameter(
            f"{field}: must be a number followed by s, m, h or d (e.g. 24h), got {text!r}"
        )
    seconds = float(found.group(1)) * _SECONDS_PER_UNIT[found.group(2)]
    if seconds <= 0:
        raise InvalidParameter(f"{field}: must be longer than 0, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """Write seconds in the largest unit that divides them (86400 -> ``1d``, 90 -> ``90s``)."""
    for unit in ("d", "h", "m"):
        count = seconds / _SECONDS_PER_UNIT[unit]
        if count >= 1 and count == int(count):
            return f"{int(count)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    # Positional digits (never 1e-05s), exactly the float's shortest repr, so it parses back.
    return f"{Decimal(repr(float(seconds))):f}s"


def _format_number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _format_key(key: str) -> str:
    if _BARE_KEY.fullmatch(key):
        return key
    return "`" + key.replace("`", "``") + "`"


def format_rule(rule: Rule) -> str:
    """Write a rule as text that ``parse_rule`` reads back to the same rule.

    Example:
        >>> format_rule(parse_rule("accuracy >= -2% @ 1d"))
        'accuracy>=-0.02rel@1d'
    """
    text = f"{_format_key(rule.metric)}{rule.operator}{_format_number(rule.threshold)}"
    text += "rel" if rule.relative else "abs"
    if rule.window_s is not None:
        text += "@" + format_duration(rule.window_s)
    return text
