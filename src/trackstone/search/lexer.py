"""Split filter and order-by text into tokens that remember where they start.

Token grammar (whitespace separates tokens and is otherwise ignored; positions are 0-based
character offsets into the text)::

    identifier  := head ( "." segment )*  |  head "." quoted  |  quoted
    head        := [A-Za-z_] [A-Za-z0-9_]*          (Unicode letters count as letters)
    segment     := [A-Za-z0-9_/:-]+                  (a bare key part: metrics.val/loss-1)
    quoted      := "`" ( any | "``" )* "`"  |  '"' ( any | '""' )* '"'
                                                     (only right after a prefix's "." or,
                                                      backticks only, alone)
    string      := "'" ( any | "''" )* "'"  |  '"' ( any | '""' )* '"'
    number      := [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
    operator    := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    keyword     := AND | OR | NOT | IN | LIKE | ILIKE | IS | NULL   (any case; a one-part
                                                                     bare identifier)
    punctuation := "(" | ")" | ","

A doubled quote inside a quoted key or string stands for one quote character. A double-quoted
text is a key when it directly follows ``prefix.`` and a string value everywhere else. A number
may not run into letters (``5abc`` is an error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from trackstone.errors import InvalidParameter

__all__ = ["KEYWORDS", "NamePart", "Token", "TokenKind", "is_bare_key", "tokenize"]

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"})

_HEAD = re.compile(r"[^\W\d]\w*")
_SEGMENT = re.compile(r"[\w/:\-]+")
_BARE_KEY = re.compile(r"[\w/:\-]+(?:\.[\w/:\-]+)*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_CANONICAL_OPERATOR = {"<>": "!="}


class TokenKind(str, Enum):
    """The classes of token the parser distinguishes."""

    IDENTIFIER = "identifier"
    STRING = "string"
    NUMBER = "number"
    OPERATOR = "operator"
    KEYWORD = "keyword"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    END = "end"


@dataclass(frozen=True)
class NamePart:
    """One dot-separated part of an identifier; ``quoted`` parts were in backticks or quotes."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Token:
    """A token: its kind, its text as written, where it starts and its decoded value.

    ``value`` is the string content for strings, the upper-case word for keywords, the
    canonical operator (``<>`` becomes ``!=``) for operators and the text otherwise.
    ``parts`` holds the name parts of identifiers.
    """

    kind: TokenKind
    text: str
    position: int
    value: str
    parts: tuple[NamePart, ...] = ()


def is_bare_key(key: str) -> bool:
    """Return whether ``key`` can follow a prefix without quotes (``tags.mlflow.runName``)."""
    return _BARE_KEY.fullmatch(key) is not None


def tokenize(text: str, source: str = "filter") -> list[Token]:
    """Split ``text`` into tokens, ending with one ``END`` token at ``len(text)``.

    Args:
        text: the filter or order-by text.
        source: what the text is (``filter``, ``order_by``), the first word of error messages.

    Raises:
        InvalidParameter: on an unterminated quote, a malformed number or a stray character.
    """
    return _Lexer(text, source).run()


class _Lexer:
    """A single left-to-right pass over the text."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(text):
                self.tokens.append(Token(TokenKind.END, "", len(text), ""))
                return self.tokens
            self.tokens.append(self._next())

    def _next(self) -> Token:
        text, start = self.text, self.pos
        char = text[start]
        if char in "(),":
            self.pos += 1
            kind = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, ",": TokenKind.COMMA}[char]
            return Token(kind, char, start, char)
        for operator in _OPERATORS:
            if text.startswith(operator, start):
                self.pos += len(operator)
                value = _CANONICAL_OPERATOR.get(operator, operator)
                return Token(TokenKind.OPERATOR, operator, start, value)
        if char in "'\"":
            content = self._quoted(char, "string")
            return Token(TokenKind.STRING, text[start : self.pos], start, content)
        if char == "`":
            content = self._quoted(char, "key")
            part = NamePart(content, quoted=True)
            return Token(TokenKind.IDENTIFIER, text[start : self.pos], start, content, (part,))
        number = _NUMBER.match(text, start)
        if number:
            return self._number(number)
        head = _HEAD.match(text, start)
        if head:
            return self._identifier(head)
        raise InvalidParameter(f"{self.source}: unexpected character {char!r} at position {start}")

    def _number(self, match: re.Match[str]) -> Token:
        end = match.end()
        if end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "_."):
            raise InvalidParameter(
                f"{self.source}: malformed number at position {match.start()}, "
                f"got {self._word_at(match.start())!r}"
            )
        self.pos = end
        return Token(TokenKind.NUMBER, match.group(), match.start(), match.group())

    def _identifier(self, head: re.Match[str]) -> Token:
        start = head.start()
        parts = [NamePart(head.group())]
        self.pos = head.end()
        while self.pos < len(self.text) and self.text[self.pos] == ".":
            after_dot = self.pos + 1
            if after_dot < len(self.text) and self.text[after_dot] in '`"' and len(parts) == 1:
                self.pos = after_dot
                parts.append(NamePart(self._quoted(self.text[after_dot], "key"), quoted=True))
                break
            segment = _SEGMENT.match(self.text, after_dot)
            if segment is None:
                raise InvalidParameter(
                    f"{self.source}: expected a key after {self.text[start:after_dot]!r} "
                    f"at position {after_dot}; quote keys with spaces or other characters "
                    "in backticks, e.g. metrics.`my key`"
                )
            parts.append(NamePart(segment.group()))
            self.pos = segment.end()
        raw = self.text[start : self.pos]
        if len(parts) == 1 and raw.upper() in KEYWORDS:
            return Token(TokenKind.KEYWORD, raw, start, raw.upper())
        return Token(TokenKind.IDENTIFIER, raw, start, raw, tuple(parts))

    def _quoted(self, quote: str, what: str) -> str:
        """Read a quoted run starting at ``self.pos``; a doubled quote is one quote."""
        start = self.pos
        chunks: list[str] = []
        index = start + 1
        while True:
            close = self.text.find(quote, index)
            if close < 0:
                raise InvalidParameter(
                    f"{self.source}: unterminated {what} starting at position {start}; "
                    f"expected a closing {quote}"
                )
            chunks.append(self.text[index:close])
            if self.text.startswith(quote, close + 1):
                chunks.append(quote)
                index = close + 2
                continue
            self.pos = close + 1
            return "".join(chunks)

    def _word_at(self, start: int) -> str:
        end = start
        while end < len(self.text) and not self.text[end].isspace() and self.text[end] not in "(),":
            end += 1
        return self.text[start:end]
