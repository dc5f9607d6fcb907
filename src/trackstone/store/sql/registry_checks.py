"""Checks of registry arguments (names, versions, aliases, tags), with messages naming the field.

Entities of the registry are plain records, so the registry store validates what callers
hand it, following MLflow's rules: names are non-blank and hold no ``/`` or ``:`` (they go
into ``models:/<name>/<version>`` URIs); aliases are letters, digits, ``_`` and ``-``, and
``latest`` and ``v<digits>`` are reserved because ``models:/`` URIs read them as versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from trackstone.entities.registry import ModelVersionTag, RegisteredModelTag
from trackstone.entities.validation import check_key, check_length, check_metric_value, check_no_nul
from trackstone.errors import InvalidParameter

__all__ = [
    "MAX_ALIAS_LENGTH",
    "MAX_MODEL_NAME_LENGTH",
    "MAX_REGISTRY_TAG_VALUE_LENGTH",
    "MAX_USER_ID_LENGTH",
    "check_alias",
    "check_metric_values",
    "check_model_name",
    "check_tags",
    "check_text",
    "parse_version",
]

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_USER_ID_LENGTH = 256
_INT32_MAX = 2**31 - 1
_ALIAS_PATTERN = re.compile(r"^[\w\-]+$")
_VERSION_LIKE = re.compile(r"^[vV]\d+$")


def check_model_name(name: object, field: str = "name") -> str:
    """Return a valid registered model name, else raise InvalidParameter naming ``field``."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(f"{field}: a registered model name must not be empty, got {name!r}")
    if "/" in name or ":" in name:
        raise InvalidParameter(f"{field}: {name!r} must not contain '/' or ':'")
    return check_length(field, name, MAX_MODEL_NAME_LENGTH)


def parse_version(version: object) -> int:
    """Return a version number from an int or a string of digits, else InvalidParameter."""
    number: int | None = None
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif isinstance(version, str) and version.strip().isascii() and version.strip().isdigit():
        number = int(version.strip())
    if number is None or not 1 <= number <= _INT32_MAX:
        raise InvalidParameter(
            f"version: must be a positive integer (a string of digits), got {version!r}"
        )
    return number


def check_alias(alias: object, reserved_too: bool) -> str:
    """Return a valid alias; ``reserved_too`` also refuses ``latest`` and ``v<digits>``."""
    if not isinstance(alias, str) or not alias:
        raise InvalidParameter(f"alias: must not be empty, got {alias!r}")
    if not _ALIAS_PATTERN.match(alias):
        raise InvalidParameter(
            f"alias: {alias!r} may only contain letters, digits, underscores and dashes"
        )
    check_length("alias", alias, MAX_ALIAS_LENGTH)
    if reserved_too and (alias.lower() == "latest" or _VERSION_LIKE.match(alias)):
        raise InvalidParameter(
            f"alias: {alias!r} is reserved ('latest' and 'v<number>' name versions)"
        )
    return alias


def check_tags(field: str, tags: Iterable[RegisteredModelTag | ModelVersionTag]) -> dict[str, str]:
    """Return the tags as a dict (the last value of a repeated key wins), checked."""
    checked: dict[str, str] = {}
    for index, tag in enumerate(tags):
        key = check_key(f"{field}[{index}].key", tag.key)
        checked[key] = check_length(
            f"{field}[{index}].value", tag.value, MAX_REGISTRY_TAG_VALUE_LENGTH
        )
    return checked


def check_text(field: str, value: object, max_length: int | None = None) -> str:
    """Return ``value`` ('' for None) if it is a string within ``max_length``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{field}: must be a string, got {value!r}")
    return (
        check_length(field, value, max_length)
        if max_length is not None
        else check_no_nul(field, value)
    )


def check_metric_values(field: str, metrics: Mapping[str, object]) -> dict[str, float]:
    """Return metric values by key (NaN and +/-inf allowed), checking keys and numbers."""
    checked: dict[str, float] = {}
    for key, value in metrics.items():
        checked[check_key(f"{field} key", key)] = check_metric_value(f"{field}[{key!r}]", value)
    return checked
