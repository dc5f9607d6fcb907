"""Value rules shared by the entity constructors: key characters, lengths, numbers.

Messages name the field and the value, e.g. ``metric key: must be at most 250 characters``.
"""

from __future__ import annotations

import logging
import math
import posixpath
import re
from collections.abc import Sequence
from typing import TypeGuard

from trackstone.errors import InvalidParameter

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "KNOWN_GOOD_KEYS",
    "MAX_ENTITY_KEY_LENGTH",
    "MAX_EXPERIMENT_NAME_LENGTH",
    "MAX_EXPERIMENT_TAG_VALUE_LENGTH",
    "MAX_METRICS_PER_BATCH",
    "MAX_PARAMS_PER_BATCH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_RECORDS_PER_BATCH",
    "MAX_RUN_NAME_LENGTH",
    "MAX_TAGS_PER_BATCH",
    "MAX_TAG_VALUE_LENGTH",
    "check_int64",
    "check_item_types",
    "check_key",
    "check_length",
    "check_max_results",
    "check_metric_value",
    "check_no_nul",
    "is_int64",
    "is_known_good_key",
    "truncated_text",
]

logger = logging.getLogger(__name__)

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
# MLflow also caps a batch at 1000 metrics, params and tags in all.
MAX_RECORDS_PER_BATCH = 1000

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Letters, digits, underscore, dash, period, space, slash and colon, as MLflow allows.
_KEY_PATTERN = re.compile(r"^[\w\-. /:]+$")


def check_key(field: str, key: object) -> str:
    """Return ``key`` if it is a valid metric/param/tag key, else raise ``InvalidParameter``."""
    # Training loops log the same few keys millions of times: remember the good ones.
    if type(key) is str and is_known_good_key(key):
        return key
    return _check_key_slowly(field, key)


# Keys that passed ``check_key``: training loops log the same few keys millions of times. A hot
# path may test ``key in KNOWN_GOOD_KEYS`` itself (a set look-up costs a third of a call) before
# it calls ``is_known_good_key``. Emptied when full, so that a long-lived process (a server)
# keeps the fast path for the keys it sees now.
KNOWN_GOOD_KEYS: set[str] = set()
_MAX_KNOWN_GOOD_KEYS = 4096


def is_known_good_key(key: str) -> bool:
    """Tell whether ``key`` passes ``check_key``, remembering it in ``KNOWN_GOOD_KEYS`` if so."""
    if key in KNOWN_GOOD_KEYS:
        return True
    try:
        _check_key_slowly("key", key)
    except InvalidParameter:
        return False
    if len(KNOWN_GOOD_KEYS) >= _MAX_KNOWN_GOOD_KEYS:
        KNOWN_GOOD_KEYS.clear()
    KNOWN_GOOD_KEYS.add(key)
    return True


def _check_key_slowly(field: str, key: object) -> str:
    if not isinstance(key, str):
        raise InvalidParameter(f"{field}: must be a string, got {key!r}")
    if not key:
        raise InvalidParameter(f"{field}: must not be empty")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise InvalidParameter(
            f"{field}: must be at most {MAX_ENTITY_KEY_LENGTH} characters, got {len(key)}"
        )
    if not _KEY_PATTERN.match(key):
        raise InvalidParameter(
            f"{field}: {key!r} may only contain letters, digits, underscores, dashes, "
            "periods, spaces, slashes and colons"
        )
    # Keys become file names in some tools: refuse anything that is not a clean relative path.
    if key.startswith("/") or posixpath.normpath(key) != key.rstrip("/") or ".." in key.split("/"):
        raise InvalidParameter(f"{field}: {key!r} must be a clean relative path")
    return key


def check_length(field: str, value: object, max_length: int) -> str:
    """Return ``value`` if it is a string of at most ``max_length`` characters, without NUL
    (``check_no_nul``)."""
    if not isinstance(value, str):
        raise InvalidParameter(f"{field}: must be a string, got {value!r}")
    if len(value) > max_length:
        raise InvalidParameter(
            f"{field}: must be at most {max_length} characters, got {len(value)}"
        )
    return check_no_nul(field, value)


def check_no_nul(field: str, value: str) -> str:
    """Return ``value`` unless it holds a NUL character, which PostgreSQL cannot store in
    text: the same value must get the same answer on either backend."""
    if "\x00" in value:
        raise InvalidParameter(f"{field}: must not contain NUL characters (\\x00)")
    return value


def truncated_text(field: str, value: object, max_length: int) -> str:
    """Return ``value`` cut to ``max_length`` characters, with a warning if it was longer.

    MLflow keeps the first ``max_length`` characters of a param or run tag value that is too
    long instead of refusing it, so scripts written for it log such values without an error;
    Trackstone does the same, and says so. Otherwise as ``check_length``.
    """
    if isinstance(value, str) and len(value) > max_length:
        logger.warning("%s: %d characters, cut to the first %d", field, len(value), max_length)
        value = value[:max_length]
    return check_length(field, value, max_length)


def check_metric_value(field: str, value: object) -> float:
    """Return ``value`` as a float (NaN and +/-inf allowed), refusing non-numbers and bools."""
    if type(value) is float:
        return math.nan if value != value else value
    if isinstance(value, (bool, str, bytes)) or not hasattr(value, "__float__"):
        raise InvalidParameter(f"{field}: must be a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter(f"{field}: must be a number, got {value!r}") from None
    if math.isnan(number):
        return math.nan
    return number


def is_int64(value: object) -> TypeGuard[int]:
    """Tell whether ``value`` is an int (not a bool) within int64, as stored numbers must be."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX
    )


def check_item_types(field: str, items: Sequence[object], kind: type) -> None:
    """Raise InvalidParameter naming ``field[index]`` for the first item not a ``kind``."""
    for index, item in enumerate(items):
        if not isinstance(item, kind):
            raise InvalidParameter(
                f"{field}[{index}]: must be a {kind.__name__}, got {type(item).__name__}"
            )


def check_int64(field: str, value: object) -> int:
    """Return ``value`` as an int within int64, accepting decimal strings as protobuf JSON does."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    number: int
    if isinstance(value, bool):
        raise InvalidParameter(f"{field}: must be an integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise InvalidParameter(f"{field}: must be an integer, got {value!r}") from None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif hasattr(value, "__index__"):
        number = value.__index__()
    else:
        raise InvalidParameter(f"{field}: must be an integer, got {value!r}")
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidParameter(f"{field}: {number} is outside the 64-bit integer range")
    return number


def check_max_results(max_results: object, limit: int) -> int:
    """Return ``max_results`` if it is an integer in 1..limit, else raise InvalidParameter."""
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise InvalidParameter(f"max_results: must be an integer, got {max_results!r}")
    if not 1 <= max_results <= limit:
        raise InvalidParameter(f"max_results: must be between 1 and {limit}, got {max_results}")
    return max_results
