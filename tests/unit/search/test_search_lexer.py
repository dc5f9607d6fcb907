"""Tokens of the filter language: kinds, decoded values, positions and lexical errors."""

from __future__ import annotations

import pytest

from trackstone.errors import InvalidParameter
from trackstone.search.lexer import NamePart, TokenKind, is_bare_key, tokenize

K = TokenKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(K.END, "", 0)]),
        ("metrics.loss", [(K.IDENTIFIER, "metrics.loss", 0), (K.END, "", 12)]),
        ("  status  ", [(K.IDENTIFIER, "status", 2), (K.END, "", 10)]),
        ("'a''b'", [(K.STRING, "a'b", 0), (K.END, "", 6)]),
        ('"say ""hi"""', [(K.STRING, 'say "hi"', 0), (K.END, "", 12)]),
        ("'it''s' \"x\"", [(K.STRING, "it's", 0), (K.STRING, "x", 8), (K.END, "", 11)]),
        ("''", [(K.STRING, "", 0), (K.END, "", 2)]),
        ("-1.5e-3", [(K.NUMBER, "-1.5e-3", 0), (K.END, "", 7)]),
        (
            "+2 .5 3. 1E10",
            [
                (K.NUMBER, "+2", 0),
                (K.NUMBER, ".5", 3),
                (K.NUMBER, "3.", 6),
                (K.NUMBER, "1E10", 9),
                (K.END, "", 13),
            ],
        ),
        (
            "= != <> < <= > >=",
            [
                (K.OPERATOR, "=", 0),
                (K.OPERATOR, "!=", 2),
                (K.OPERATOR, "!=", 5),
                (K.OPERATOR, "<", 8),
                (K.OPERATOR, "<=", 10),
                (K.OPERATOR, ">", 13),
                (K.OPERATOR, ">=", 15),
                (K.END, "", 17),
            ],
        ),
        (
            "x>=-1",
            [(K.IDENTIFIER, "x", 0), (K.OPERATOR, ">=", 1), (K.NUMBER, "-1", 3), (K.END, "", 5)],
        ),
        (
            "and Or nOt in LIKE ilike is NULL",
            [
                (K.KEYWORD, "AND", 0),
                (K.KEYWORD, "OR", 4),
                (K.KEYWORD, "NOT", 7),
                (K.KEYWORD, "IN", 11),
                (K.KEYWORD, "LIKE", 14),
                (K.KEYWORD, "ILIKE", 19),
                (K.KEYWORD, "IS", 25),
                (K.KEYWORD, "NULL", 28),
                (K.END, "", 32),
            ],
        ),
        (
            "(a,b)",
            [
                (K.LPAREN, "(", 0),
                (K.IDENTIFIER, "a", 1),
                (K.COMMA, ",", 2),
                (K.IDENTIFIER, "b", 3),
                (K.RPAREN, ")", 4),
                (K.END, "", 5),
            ],
        ),
        ("desc", [(K.IDENTIFIER, "desc", 0), (K.END, "", 4)]),
        ("tags.and", [(K.IDENTIFIER, "tags.and", 0), (K.END, "", 8)]),
    ],
)
def test_tokens(text: str, expected: list[tuple[TokenKind, str, int]]) -> None:
    assert [(t.kind, t.value, t.position) for t in tokenize(text)] == expected


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("metrics.loss", (NamePart("metrics"), NamePart("loss"))),
        ("tags.mlflow.runName", (NamePart("tags"), NamePart("mlflow"), NamePart("runName"))),
        ("metrics.val/loss-1:x", (NamePart("metrics"), NamePart("val/loss-1:x"))),
        ("metrics.0_loss", (NamePart("metrics"), NamePart("0_loss"))),
        ("metrics.`my key`", (NamePart("metrics"), NamePart("my key", quoted=True))),
        ("params.`a``b`", (NamePart("params"), NamePart("a`b", quoted=True))),
        ('tags."a.b"', (NamePart("tags"), NamePart("a.b", quoted=True))),
        ('tags."x""y"', (NamePart("tags"), NamePart('x"y', quoted=True))),
        ("`run name`", (NamePart("run name", quoted=True),)),
        ("größe", (NamePart("größe"),)),
    ],
)
def test_identifier_parts(text: str, parts: tuple[NamePart, ...]) -> None:
    tokens = tokenize(text)
    assert [t.kind for t in tokens] == [K.IDENTIFIER, K.END]
    assert tokens[0].parts == parts
    assert tokens[0].text == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("params.x = 'abc", "unterminated string starting at position 11"),
        ('params.x = "abc', "unterminated string starting at position 11"),
        ("metrics.`abc = 1", "unterminated key starting at position 8"),
        ('tags."abc = 1', "unterminated key starting at position 5"),
        ("metrics.x = 1 # 2", "unexpected character '#' at position 14"),
        ("metrics.x = 5abc", "malformed number at position 12, got '5abc'"),
        ("metrics.x = 1.2.3", "malformed number at position 12, got '1.2.3'"),
        ("metrics.x = 1e", "malformed number at position 12"),
        ("metrics. = 1", "expected a key after 'metrics.' at position 8"),
        ("tags.a..b = 'x'", "expected a key after 'tags.a.' at position 7"),
        ("metrics.x ! 1", "unexpected character '!' at position 10"),
    ],
)
def test_lexical_errors(text: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        tokenize(text)
    assert raised.value.message.startswith("filter: ")
    assert fragment in raised.value.message


def test_error_messages_name_the_source() -> None:
    with pytest.raises(InvalidParameter, match=r"^order_by: unexpected character '\$'"):
        tokenize("$", source="order_by")


@pytest.mark.parametrize(
    ("key", "bare"),
    [
        ("loss", True),
        ("mlflow.runName", True),
        ("val/loss-1:2", True),
        ("9lives", True),
        ("my key", False),
        ("a..b", False),
        ("a.", False),
        (".a", False),
        ("a`b", False),
        ("", False),
    ],
)
def test_is_bare_key(key: str, bare: bool) -> None:
    assert is_bare_key(key) is bare
