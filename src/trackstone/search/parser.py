"""Parse filter and order-by text into the syntax tree of ``ast``, checked against a schema.

Filter grammar (recursive descent over the tokens of ``lexer``; keywords in any case)::

    filter      := [ or_expr ] END                      (blank text means no filter)
    or_expr     := and_expr ( OR and_expr )*
    and_expr    := primary ( AND primary )*              (AND binds tighter than OR)
    primary     := "(" or_expr ")" | comparison
    comparison  := identifier operator ( string | number )
                 | identifier [ NOT ] IN "(" string ( "," string )* ")"
                 | identifier ( LIKE | ILIKE ) string
                 | identifier IS [ NOT ] NULL

    order_by_item := identifier [ ASC | DESC ] END       (ASC when omitted)

    identifier  := prefix "." key | attribute            (prefix and attribute: see schema)

The tree is normalised: ``And`` / ``Or`` hold at least two operands and never directly hold a
node of their own type (``(a AND b) AND c`` gives one ``And`` of three), so equal meaning
written with different grouping parses to equal trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from trackstone.errors import InvalidParameter
from trackstone.search.ast import (
    And,
    Comparison,
    Expression,
    Identifier,
    IdentifierKind,
    Operator,
    Or,
    OrderKey,
    Value,
)
from trackstone.search.lexer import Token, TokenKind, tokenize
from trackstone.search.schema import (
    EXPERIMENT_SCHEMA,
    RUN_SCHEMA,
    FieldSpec,
    KindSpec,
    SearchSchema,
    ValueType,
)

__all__ = [
    "MAX_NESTING",
    "display_identifier",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
    "parse_run_filter",
    "parse_run_order_by",
]

MAX_NESTING = 100
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_COMPARISON_OPERATORS = {
    op.value: op
    for op in (Operator.EQ, Operator.NE, Operator.LT, Operator.LE, Operator.GT, Operator.GE)
}


def parse_run_filter(text: str | None) -> Expression | None:
    """Parse a run search filter; None or blank text gives None (match everything).

    Example:
        >>> parse_run_filter("metrics.loss < 0.3 AND params.lr = '0.1'")

    Raises:
        InvalidParameter: naming what was expected and the position in ``text``.
    """
    return parse_filter(text, RUN_SCHEMA)


def parse_experiment_filter(text: str | None) -> Expression | None:
    """Parse an experiment search filter (``name``, creation/update times, ``tags.``)."""
    return parse_filter(text, EXPERIMENT_SCHEMA)


def parse_run_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse run ``order_by`` items such as ``"metrics.m0 DESC"``; None gives []."""
    return parse_order_by(items, RUN_SCHEMA)


def parse_experiment_order_by(items: Sequence[str] | None) -> list[OrderKey]:
    """Parse experiment ``order_by`` items such as ``"last_update_time DESC"``; None gives []."""
    return parse_order_by(items, EXPERIMENT_SCHEMA)


def parse_filter(text: str | None, schema: SearchSchema) -> Expression | None:
    """Parse filter ``text`` against ``schema``; None or blank text gives None.

    Raises:
        InvalidParameter: on a syntax error, an unknown identifier, an operator the identifier
            does not support, or a value of the wrong type.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidParameter(f"filter: must be a string, got {text!r}")
    if not text.strip():
        return None
    parser = _Parser(tokenize(text, "filter"), schema, "filter")
    expression = parser.or_expr(depth=0)
    parser.expect_end("AND, OR or the end of the filter")
    return expression


def parse_order_by(items: Sequence[str] | None, schema: SearchSchema) -> list[OrderKey]:
    """Parse ``order_by`` items (``identifier [ASC|DESC]`` each) against ``schema``.

    Raises:
        InvalidParameter: on a malformed item or an identifier that cannot be sorted on.
    """
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    keys = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidParameter(f"order_by: each item must be a string, got {item!r}")
        parser = _Parser(tokenize(item, "order_by"), schema, "order_by", item)
        identifier = parser.identifier(sorting=True)
        ascending = True
        token = parser.peek()
        if token.kind is TokenKind.IDENTIFIER and token.text.upper() in ("ASC", "DESC"):
            ascending = parser.advance().text.upper() == "ASC"
        elif token.kind is not TokenKind.END:
            parser.fail("ASC or DESC", token)
        parser.expect_end("the end of the order_by item")
        keys.append(OrderKey(identifier, ascending))
    return keys


def display_identifier(identifier: Identifier, schema: SearchSchema = RUN_SCHEMA) -> str:
    """Spell ``identifier`` as messages show it: ``metrics.loss``, ``params.`my key```."""
    from trackstone.search.lexer import is_bare_key

    spec = schema.kind(identifier.kind)
    prefix = spec.prefixes[0] if spec else identifier.kind.value
    key = identifier.key
    if not is_bare_key(key):
        key = "`" + key.replace("`", "``") + "`"
    return f"{prefix}.{key}"


class _Parser:
    """Recursive descent over one token list."""

    def __init__(
        self, tokens: list[Token], schema: SearchSchema, source: str, item: str | None = None
    ) -> None:
        self.tokens = tokens
        self.index = 0
        self.schema = schema
        self.source = source
        self.item = item

    # -- token access -------------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.END:
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind is TokenKind.KEYWORD and token.value in words

    def expect_keyword(self, word: str, expected: str) -> Token:
        if not self.at_keyword(word):
            self.fail(expected, self.peek())
        return self.advance()

    def expect(self, kind: TokenKind, expected: str) -> Token:
        if self.peek().kind is not kind:
            self.fail(expected, self.peek())
        return self.advance()

    def expect_end(self, expected: str) -> None:
        if self.peek().kind is not TokenKind.END:
            self.fail(expected, self.peek())

    # -- errors -------------------------------------------------------------------------------

    def fail(self, expected: str, token: Token) -> NoReturn:
        after = ""
        if self.index > 0 and token is self.tokens[self.index]:
            after = f" (after {self.tokens[self.index - 1].text!r})"
        end = "the end of the order_by item" if self.item is not None else "the end of the filter"
        got = end if token.kind is TokenKind.END else repr(token.text)
        raise InvalidParameter(
            f"{self.source}: expected {expected} at position {token.position}{after}, "
            f"got {got}{self._in_item()}"
        )

    def error(self, message: str) -> NoReturn:
        raise InvalidParameter(f"{self.source}: {message}{self._in_item()}")

    def _in_item(self) -> str:
        return f"; in order_by item {self.item!r}" if self.item is not None else ""

    # -- filter grammar -----------------------------------------------------------------------

    def or_expr(self, depth: int) -> Expression:
        operands = [self.and_expr(depth)]
        while self.at_keyword("OR"):
            self.advance()
            operands.append(self.and_expr(depth))
        return _combine(Or, operands)

    def and_expr(self, depth: int) -> Expression:
        operands = [self.primary(depth)]
        while self.at_keyword("AND"):
            self.advance()
            operands.append(self.primary(depth))
        return _combine(And, operands)

    def primary(self, depth: int) -> Expression:
        token = self.peek()
        if token.kind is TokenKind.LPAREN:
            if depth >= MAX_NESTING:
                self.error(
                    f"parentheses nest deeper than {MAX_NESTING} levels at position "
                    f"{token.position}"
                )
            self.advance()
            inner = self.or_expr(depth + 1)
            self.expect(TokenKind.RPAREN, "AND, OR or ')'")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        identifier = self.identifier(sorting=False)
        spec = self._field(identifier)
        name = display_identifier(identifier, self.schema)
        token = self.peek()
        operator = self._operator()
        if operator not in spec.operators:
            allowed = ", ".join(op.value for op in Operator if op in spec.operators)
            self.error(
                f"{operator.value} does not apply to {name} at position {token.position}; "
                f"use one of {allowed}"
            )
        value: Value
        if operator in (Operator.IS_NULL, Operator.IS_NOT_NULL):
            value = None
        elif operator in (Operator.IN, Operator.NOT_IN):
            value = self._string_list(spec, name)
        elif operator in (Operator.LIKE, Operator.ILIKE):
            value = self._string(spec, name, check_allowed=False)
        else:
            if self.at_keyword("NULL"):
                tests = {Operator.EQ: "IS NULL", Operator.NE: "IS NOT NULL"}
                test = tests.get(operator, "IS NULL or IS NOT NULL")
                self.error(
                    f"comparing to NULL at position {self.peek().position} is never true; "
                    f"write {name} {test}"
                )
            value = self._scalar(spec, name)
        return Comparison(identifier, operator, value)

    def _operator(self) -> Operator:
        token = self.peek()
        if token.kind is TokenKind.OPERATOR:
            self.advance()
            return _COMPARISON_OPERATORS[token.value]
        if self.at_keyword("LIKE", "ILIKE", "IN"):
            return Operator(self.advance().value)
        if self.at_keyword("NOT"):
            self.advance()
            self.expect_keyword("IN", "IN after NOT")
            return Operator.NOT_IN
        if self.at_keyword("IS"):
            self.advance()
            if self.at_keyword("NOT"):
                self.advance()
                self.expect_keyword("NULL", "NULL after IS NOT")
                return Operator.IS_NOT_NULL
            self.expect_keyword("NULL", "NULL or NOT NULL after IS")
            return Operator.IS_NULL
        self.fail("a comparison operator", token)

    def _string_list(self, spec: FieldSpec, name: str) -> tuple[str, ...]:
        self.expect(TokenKind.LPAREN, "'(' to open the list of values")
        values = [self._string(spec, name, check_allowed=True)]
        while self.peek().kind is TokenKind.COMMA:
            self.advance()
            values.append(self._string(spec, name, check_allowed=True))
        self.expect(TokenKind.RPAREN, "',' or ')'")
        return tuple(values)

    def _string(self, spec: FieldSpec, name: str, check_allowed: bool) -> str:
        token = self.peek()
        if token.kind is TokenKind.NUMBER:
            self.error(
                f"{name} compares to quoted strings, got the number {token.text} "
                f"at position {token.position}"
            )
        value = self.expect(TokenKind.STRING, "a quoted string").value
        if check_allowed and spec.allowed_values is not None:
            for allowed in spec.allowed_values:
                if allowed.lower() == value.lower():
                    return allowed
            self.error(
                f"{name} must be one of {', '.join(spec.allowed_values)}, got {value!r} "
                f"at position {token.position}"
            )
        return value

    def _scalar(self, spec: FieldSpec, name: str) -> Value:
        if spec.type is ValueType.STRING:
            return self._string(spec, name, check_allowed=True)
        token = self.peek()
        wanted = "numbers" if spec.type is ValueType.NUMBER else "integers"
        if token.kind is TokenKind.STRING:
            self.error(
                f"{name} compares to {wanted}, got the string {token.value!r} "
                f"at position {token.position}"
            )
        self.expect(TokenKind.NUMBER, "a number")
        if spec.type is ValueType.NUMBER:
            return float(token.text)
        try:
            number = int(token.text)
        except ValueError:
            self.error(
                f"{name} compares to {wanted}, got {token.text} at position {token.position}"
            )
        if not _INT64_MIN <= number <= _INT64_MAX:
            self.error(
                f"{name}: {token.text} at position {token.position} is outside the 64-bit "
                "integer range"
            )
        return number

    # -- identifiers --------------------------------------------------------------------------

    def identifier(self, sorting: bool) -> Identifier:
        token = self.peek()
        if token.kind is not TokenKind.IDENTIFIER:
            self.fail("an identifier such as metrics.loss or attributes.status", token)
        self.advance()
        parts = token.parts
        if len(parts) == 1:
            return self._bare(token, sorting)
        kind = self.schema.kind_for_prefix(parts[0].text)
        if kind is None:
            prefixes = ", ".join(spec.prefixes[0] for spec in self.schema.kinds)
            self.error(
                f"unknown prefix {parts[0].text!r} at position {token.position}; expected one "
                f"of {prefixes}"
            )
        key = ".".join(part.text for part in parts[1:])
        if not key:
            self.error(f"empty key after {parts[0].text + '.'!r} at position {token.position}")
        return self._keyed(kind, key, token, sorting)

    def _bare(self, token: Token, sorting: bool) -> Identifier:
        kind = self.schema.kind(self.schema.bare_kind) if self.schema.bare_kind else None
        if kind is None:
            prefixes = ", ".join(spec.prefixes[0] + "." for spec in self.schema.kinds)
            self.error(
                f"{token.text!r} at position {token.position} needs a prefix: one of {prefixes}"
            )
        return self._keyed(kind, token.parts[0].text, token, sorting)

    def _keyed(self, kind: KindSpec, key: str, token: Token, sorting: bool) -> Identifier:
        if kind.free_keys is None:
            if not any(self._usable(spec, sorting) for spec in kind.keys.values()):
                self.error(f"{kind.prefixes[0]}. cannot be used in {self.source}")
            canonical = kind.canonical_key(key)
            if canonical is None or not self._usable(kind.keys[canonical], sorting):
                known = [k for k, spec in kind.keys.items() if self._usable(spec, sorting)]
                what = "attribute" if kind.kind is IdentifierKind.ATTRIBUTE else kind.prefixes[0]
                self.error(
                    f"unknown {what} {key!r} at position {token.position}; expected one of "
                    f"{', '.join(known)}{self._hint(key, token)}"
                )
            key = canonical
        elif not self._usable(kind.free_keys, sorting):
            self.error(f"{kind.prefixes[0]} cannot be used in {self.source}")
        return Identifier(kind.kind, key)

    def _hint(self, key: str, token: Token) -> str:
        """Suggest the prefixed spellings when a bare word may name logged data."""
        if len(token.parts) != 1:
            return ""
        free = [spec.prefixes[0] for spec in self.schema.kinds if spec.free_keys is not None]
        if not free:
            return ""
        spellings = " or ".join(f"{prefix}.{key}" for prefix in free)
        return f" (did you mean {spellings}?)"

    def _usable(self, spec: FieldSpec, sorting: bool) -> bool:
        return spec.sortable if sorting else spec.filterable

    def _field(self, identifier: Identifier) -> FieldSpec:
        kind = self.schema.kind(identifier.kind)
        assert kind is not None
        return kind.spec_for(identifier.key)


def _combine(node: type[And] | type[Or], operands: list[Expression]) -> Expression:
    if len(operands) == 1:
        return operands[0]
    flat: list[Expression] = []
    for operand in operands:
        if isinstance(operand, node):
            flat.extend(operand.operands)
        else:
            flat.append(operand)
    return node(tuple(flat))
