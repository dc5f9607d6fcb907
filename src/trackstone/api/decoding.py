"""Turn request bodies and query strings into request structs, or InvalidParameter naming why.

``decode_request`` is the only way the server reads a request: whatever arrives (malformed
JSON, bytes that are not UTF-8, a top-level array, wrong types, missing fields, deep nesting)
it returns a struct or raises ``InvalidParameter`` with a message such as ``metrics[3].value:
must be a number, got 'abc'``, never another exception. Decoders are built once per struct
type and cached.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from trackstone.errors import InternalError, InvalidParameter

__all__ = ["decode_request", "decode_response", "query_fields"]

T = TypeVar("T")

_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}
_MAX_SHOWN_CHARS = 80
_MISSING: Any = object()
_ERROR_PATTERN = re.compile(r"^(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "a boolean",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def decode_request(
    struct_type: type[T],
    body: bytes | None,
    query: Mapping[str, Sequence[str]] | None = None,
) -> T:
    """Return the request a JSON body (or, when the body is empty, a query string) holds.

    Query values arrive as lists of strings; list fields take every value of a repeated key
    (``run_ids=a&run_ids=b``), other fields the first. Strings convert to numbers and enums
    the way protobuf JSON allows.

    Raises:
        InvalidParameter: the body or query does not describe a valid request.
    """
    if body and not body.isspace():
        return _decode_body(struct_type, body)
    fields = _query_to_fields(struct_type, query or {})
    try:
        return msgspec.convert(fields, struct_type, strict=False)
    except msgspec.ValidationError as error:
        raise InvalidParameter(_describe(struct_type, str(error), fields)) from None


def decode_response(struct_type: type[T], body: bytes) -> T:
    """Return the response a server's JSON body holds (a client-side read).

    Raises:
        InternalError: the body is not a valid response of this type.
    """
    try:
        return _decoder(struct_type).decode(body)
    except msgspec.ValidationError as error:
        detail = _describe(struct_type, str(error), _raw_json(body))
        raise InternalError(f"unexpected response from server: {detail}") from None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as error:
        raise InternalError(f"malformed response from server: {error}") from None


def query_fields(struct_type: type[Any]) -> dict[str, bool]:
    """Map each wire field name of a request to whether it is a list (a repeatable key)."""
    return dict(_field_kinds(struct_type))


def _decode_body(struct_type: type[T], body: bytes) -> T:
    try:
        return _decoder(struct_type).decode(body)
    except msgspec.ValidationError as error:
        raise InvalidParameter(_describe(struct_type, str(error), _raw_json(body))) from None
    except msgspec.DecodeError as error:
        detail = str(error).removeprefix("JSON is malformed: ")
        detail = detail[:1].lower() + detail[1:]
        raise InvalidParameter(f"request body: malformed JSON ({detail})") from None
    except RecursionError:
        raise InvalidParameter("request body: nested too deeply") from None
    except UnicodeDecodeError as error:
        raise InvalidParameter(
            f"request body: must be UTF-8 (invalid byte at position {error.start})"
        ) from None


def _decoder(struct_type: type[T]) -> msgspec.json.Decoder[T]:
    decoder = _DECODERS.get(struct_type)
    if decoder is None:
        # Lax mode is protobuf's JSON mapping: "123" for int64, "NaN" for doubles, "1" for enums.
        decoder = _DECODERS[struct_type] = msgspec.json.Decoder(struct_type, strict=False)
    return decoder  # type: ignore[no-any-return]


def _field_kinds(struct_type: type[Any]) -> tuple[tuple[str, bool], ...]:
    return _field_kinds_cached(struct_type)  # type: ignore[arg-type]


@functools.cache
def _field_kinds_cached(struct_type: type[Any]) -> tuple[tuple[str, bool], ...]:
    info = msgspec.inspect.type_info(struct_type)
    if not isinstance(info, msgspec.inspect.StructType):
        raise TypeError(f"{struct_type!r} is not a msgspec Struct")
    return tuple((field.encode_name, _is_list(field.type)) for field in info.fields)


def _is_list(kind: msgspec.inspect.Type) -> bool:
    kind = _unwrap(kind)
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_list(member) for member in kind.types)
    return isinstance(
        kind,
        (
            msgspec.inspect.ListType,
            msgspec.inspect.TupleType,
            msgspec.inspect.VarTupleType,
            msgspec.inspect.SetType,
        ),
    )


def _unwrap(kind: msgspec.inspect.Type) -> msgspec.inspect.Type:
    while isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    return kind


def _query_to_fields(
    struct_type: type[Any], query: Mapping[str, Sequence[str]]
) -> dict[str, object]:
    fields: dict[str, object] = {}
    for name, is_list in _field_kinds(struct_type):
        values = query.get(name)
        if not values:
            continue
        if isinstance(values, str):
            values = [values]
        fields[name] = list(values) if is_list else values[0]
    return fields


def _raw_json(body: bytes) -> object:
    try:
        return msgspec.json.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return _MISSING


def _describe(struct_type: type[Any], error: str, raw: object) -> str:
    """Rewrite a msgspec validation error as ``field: what is wrong, got value``."""
    match = _ERROR_PATTERN.match(error)
    assert match is not None
    text, path = match["text"], (match["path"] or "")
    tokens = _PATH_TOKEN.findall(path)
    field = path.lstrip(".")
    value = _lookup(raw, tokens)
    if text.startswith("Object missing required field `"):
        name = text.split("`")[1]
        return f"{_join(field, name)}: this field is required"
    if not field:
        if text.startswith("Expected `object`"):
            got = text.rpartition("got `")[2].rstrip("`")
            return f"request body: must be a JSON object, got {_TYPE_WORDS.get(got, got)}"
        # A message raised by a struct's own check already starts with the field's name.
        return text
    if text.startswith("Expected `"):
        return f"{field}: {_expected(text)}, got {_show(value, text)}"
    if text.startswith("Invalid enum value"):
        allowed = _allowed_values(struct_type, tokens)
        return f"{field}: {allowed}, got {_show(value, text)}"
    if text == "Number out of range":
        return f"{field}: number out of range"
    if ": " in text and not text.startswith(("Expected", "Invalid")):
        return _join(field, text)
    return f"{field}: {text}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _expected(text: str) -> str:
    """``Expected `int` >= 1`` -> ``must be an integer >= 1``."""
    kinds, _, rest = text.removeprefix("Expected `").partition("`")
    rest = rest.split(", got ")[0].strip()
    words = " or ".join(
        _TYPE_WORDS.get(kind, kind) for kind in kinds.split(" | ") if kind != "null"
    )
    if kinds == "float | str":
        words = "a number"
    if rest.startswith("of length"):
        bound = rest.removeprefix("of length ").split()
        limit = int(bound[1])
        noun = "item" if limit == 1 else "items"
        most = "at most" if bound[0] == "<=" else "at least"
        return f"must be a list of {most} {limit} {noun}"
    return f"must be {words}{' ' + rest if rest else ''}"


def _allowed_values(struct_type: type[Any], tokens: list[tuple[str, str]]) -> str:
    kind = _unwrap(_type_at(msgspec.inspect.type_info(struct_type), tokens))
    members = kind.types if isinstance(kind, msgspec.inspect.UnionType) else (kind,)
    names: list[str] = []
    numbers: list[str] = []
    for wrapped in members:
        member = _unwrap(wrapped)
        if isinstance(member, msgspec.inspect.FloatType):
            return "must be a number"
        if isinstance(member, msgspec.inspect.LiteralType):
            for value in member.values:
                (names if isinstance(value, str) else numbers).append(str(value))
    if not names and not numbers:
        return "is not an allowed value"
    listed = ", ".join(names or numbers)
    return f"must be one of {listed}" + (f" (or {', '.join(numbers)})" if names and numbers else "")


def _type_at(kind: msgspec.inspect.Type, tokens: list[tuple[str, str]]) -> msgspec.inspect.Type:
    for name, _index in tokens:
        kind = _unwrap(kind)
        if isinstance(kind, msgspec.inspect.UnionType):
            kind = next(
                (m for m in kind.types if not isinstance(m, msgspec.inspect.NoneType)), kind
            )
            kind = _unwrap(kind)
        if name and isinstance(kind, msgspec.inspect.StructType):
            kind = next((f.type for f in kind.fields if f.encode_name == name), kind)
        elif not name and isinstance(kind, (msgspec.inspect.ListType, msgspec.inspect.SetType)):
            kind = kind.item_type
    return kind


def _lookup(raw: object, tokens: list[tuple[str, str]]) -> object:
    for name, index in tokens:
        if name and isinstance(raw, dict):
            raw = raw.get(name, _MISSING)
        elif index and isinstance(raw, list) and int(index) < len(raw):
            raw = raw[int(index)]
        else:
            return _MISSING
    return raw


def _show(value: object, text: str) -> str:
    """Render a bad value for a message: short, JSON-flavoured, never the whole input."""
    if value is _MISSING:
        got = text.rpartition("got `")[2].rstrip("`") if "got `" in text else "another value"
        return _TYPE_WORDS.get(got, got)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, str) and len(value) > _MAX_SHOWN_CHARS:
        return repr(value[:_MAX_SHOWN_CHARS]) + "..."
    return repr(value)
