"""OData expressions as SensorThings uses them: $filter, $orderby, $select and $expand.

The parser turns text into a small tree; `compile.py` turns the tree into SQL.
Every syntax error is an `StaError` (400 problem+json) naming what was expected and where.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smartcity.core import jsonbody
from smartcity.core.errors import BadRequest

MAX_EXPRESSION = 4000
MAX_DEPTH = 40
MAX_INTEGER = 2**63 - 1
"""The largest integer either engine stores (a signed 64-bit integer); larger ones are refused."""


class StaError(BadRequest):
    """A SensorThings request that cannot be served as asked."""

    code = "sta_bad_request"


_TOKEN = re.compile(
    # ASCII only: `int()` and the engines take just these digits and spaces.
    r"""
    (?P<ws>\s+)
  | (?P<geo>geography'(?:[^']*)')
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d.]))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_@$][A-Za-z0-9_.@$]*)
  | (?P<punct>[(),/])
  | (?P<minus>-)
    """,
    re.VERBOSE | re.ASCII,
)

COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
ADDITIVE = {"add", "sub"}
MULTIPLICATIVE = {"mul", "div", "mod"}
KEYWORDS = COMPARISONS | ADDITIVE | MULTIPLICATIVE | {"and", "or", "not"}


@dataclass(frozen=True)
class Token:
    """One lexical token."""

    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Literal:
    """A constant: number, string, boolean, null, datetime (epoch ms) or geography (WKT)."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Path:
    """A property path such as `name`, `properties/owner` or `Datastream/Thing/name`."""

    segments: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """A function call such as `substringof('a', name)` or `geo.distance(location, …)`."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Binary:
    """`left op right`: comparison, logical or arithmetic."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Unary:
    """`not x` or `-x`."""

    op: str
    operand: Any


def parse_datetime_ms(text: str) -> int:
    """ISO 8601 date-time (or date) → UTC epoch ms; no offset means UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise StaError(f"not an ISO 8601 time: {text[:60]!r}", code="sta_invalid_time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp() * 1000)


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens."""
    if len(text) > MAX_EXPRESSION:
        raise StaError(
            f"expression longer than {MAX_EXPRESSION} characters", code="sta_expression_too_long"
        )
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise StaError(
                f"unexpected character {text[position]!r} at position {position}",
                code="sta_invalid_expression",
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


class Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _error(self, expected: str) -> StaError:
        token = self._peek()
        where = f"'{token.text}' at position {token.position}" if token else "the end"
        return StaError(f"expected {expected}, found {where}", code="sta_invalid_expression")

    def _take(self, text: str | None = None, kind: str | None = None) -> Token:
        token = self._peek()
        if (
            token is None
            or (text is not None and token.text != text)
            or (kind is not None and token.kind != kind)
        ):
            raise self._error(repr(text) if text else kind or "a token")
        self.index += 1
        return token

    def _is_word(self, words: set[str]) -> str | None:
        token = self._peek()
        if token is not None and token.kind == "ident" and token.text in words:
            return token.text
        return None

    def parse(self) -> Any:
        """The whole expression."""
        if not self.tokens:
            raise StaError("empty expression", code="sta_invalid_expression")
        node = self.expression()
        if self._peek() is not None:
            raise self._error("an operator or the end")
        return node

    def expression(self) -> Any:
        """or-expression."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise StaError("expression nested too deeply", code="sta_expression_too_deep")
        node = self._and()
        while self._is_word({"or"}):
            self.index += 1
            node = Binary("or", node, self._and())
        self.depth -= 1
        return node

    def _and(self) -> Any:
        node = self._not()
        while self._is_word({"and"}):
            self.index += 1
            node = Binary("and", node, self._not())
        return node

    def _not(self) -> Any:
        if self._is_word({"not"}):
            self.index += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise StaError("expression nested too deeply", code="sta_expression_too_deep")
            return Unary("not", self._not())
        return self._comparison()

    def _comparison(self) -> Any:
        node = self._additive()
        op = self._is_word(COMPARISONS)
        if op:
            self.index += 1
            node = Binary(op, node, self._additive())
        return node

    def _additive(self) -> Any:
        node = self._multiplicative()
        while op := self._is_word(ADDITIVE):
            self.index += 1
            node = Binary(op, node, self._multiplicative())
        return node

    def _multiplicative(self) -> Any:
        node = self._unary()
        while op := self._is_word(MULTIPLICATIVE):
            self.index += 1
            node = Binary(op, node, self._unary())
        return node

    def _unary(self) -> Any:
        token = self._peek()
        if token is not None and token.kind == "minus":
            self.index += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise StaError("expression nested too deeply", code="sta_expression_too_deep")
            return Unary("-", self._unary())
        return self._primary()

    def _primary(self) -> Any:
        token = self._peek()
        if token is None:
            raise self._error("a value or property")
        self.index += 1
        if token.kind == "number":
            return Literal(_number(token), "number")
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"), "string")
        if token.kind in ("datetime", "date"):
            return Literal(parse_datetime_ms(token.text), "time")
        if token.kind == "geo":
            return Literal(token.text[len("geography'") : -1], "geo")
        if token.text == "(":
            node = self.expression()
            self._take(")")
            return node
        if token.kind != "ident" or token.text in KEYWORDS:
            self.index -= 1
            raise self._error("a value or property")
        if token.text in ("true", "false"):
            return Literal(token.text == "true", "bool")
        if token.text == "null":
            return Literal(None, "null")
        following = self._peek()
        if following is not None and following.text == "(":
            self.index += 1
            args: list[Any] = []
            closing = self._peek()
            if closing is not None and closing.text == ")":
                self.index += 1
                return Call(token.text.lower(), ())
            args.append(self.expression())
            while self._peek() is not None and self._peek().text == ",":  # type: ignore[union-attr]
                self.index += 1
                args.append(self.expression())
            self._take(")")
            return Call(token.text.lower(), tuple(args))
        segments = [token.text]
        while self._peek() is not None and self._peek().text == "/":  # type: ignore[union-attr]
            self.index += 1
            segments.append(self._take(kind="ident").text)
        return Path(tuple(segments))


def _number(token: Token) -> float | int:
    """A number literal that both engines can hold: a 64-bit integer or a finite double."""
    where = f"the number at position {token.position}"
    if not any(c in token.text for c in ".eE"):
        return bounded_integer(token.text, where)
    value = float(token.text)
    if not math.isfinite(value):
        raise StaError(f"{where} is out of range", code="sta_number_out_of_range")
    return value


def bounded_integer(text: str, what: str = "a number") -> int:
    """ASCII digits (an optional leading minus) as an integer both engines store, else a 400."""
    digits = text.removeprefix("-").lstrip("0") or "0"
    # Checked on the text: `int()` of thousands of digits is slow or refused outright.
    value = int(digits) if len(digits) <= 19 else MAX_INTEGER + 1
    if value > MAX_INTEGER:
        raise StaError(f"{what} is out of range (at most 2^63 - 1)", code="sta_number_out_of_range")
    return -value if text.startswith("-") else value


def load_json(body: bytes) -> Any:
    """A JSON body that passes the edge's checks (`core.jsonbody`: depth, surrogates) and whose
    integers fit in 64 bits (larger ones are refused, not overflowed later)."""
    try:
        return jsonbody.loads(body, parse_int=bounded_integer)
    except (ValueError, UnicodeDecodeError):
        raise StaError("the body is not valid JSON", code="sta_invalid_json") from None


def parse_filter(text: str) -> Any:
    """The tree of a `$filter` expression."""
    return Parser(text).parse()


@dataclass
class OrderItem:
    """One `$orderby` term."""

    expression: Any
    descending: bool


def parse_orderby(text: str) -> list[OrderItem]:
    """`$orderby=phenomenonTime desc,id` → terms."""
    items: list[OrderItem] = []
    for part in split_top_level(text, ","):
        part = part.strip()
        if not part:
            raise StaError("empty $orderby term", code="sta_invalid_orderby")
        descending = False
        lowered = part.lower()
        if lowered.endswith(" desc"):
            descending, part = True, part[: -len(" desc")]
        elif lowered.endswith(" asc"):
            part = part[: -len(" asc")]
        items.append(OrderItem(Parser(part).parse(), descending))
    return items


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                raise StaError("unbalanced parentheses", code="sta_invalid_expression")
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0 or quoted:
        raise StaError("unbalanced parentheses or quotes", code="sta_invalid_expression")
    parts.append("".join(current))
    return parts


@dataclass
class QueryOptions:
    """The system query options of one request or one `$expand` item."""

    filter: Any = None
    orderby: list[OrderItem] = field(default_factory=list)
    select: list[str] | None = None
    expand: list[ExpandItem] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False


@dataclass
class ExpandItem:
    """`Datastreams($top=1;$expand=Observations)` → a navigation path and its options."""

    path: list[str]
    options: QueryOptions


def _integer(name: str, text: str, limit: int) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise StaError(f"{name} must be a non-negative integer", code="sta_invalid_" + name[1:])
    value = int(text)
    if value > limit:
        raise StaError(f"{name} may be at most {limit}", code="sta_" + name[1:] + "_too_large")
    return value


def parse_options(
    raw: dict[str, str], *, max_top: int, max_depth: int, depth: int = 0
) -> QueryOptions:
    """Read `$filter`, `$orderby`, `$select`, `$expand`, `$top`, `$skip`, `$count`."""
    options = QueryOptions()
    for name, value in raw.items():
        if name == "$filter":
            options.filter = parse_filter(value)
        elif name == "$orderby":
            options.orderby = parse_orderby(value)
        elif name == "$select":
            options.select = [part.strip() for part in value.split(",") if part.strip()]
            if not options.select:
                raise StaError("$select lists no property", code="sta_invalid_select")
        elif name == "$expand":
            options.expand = parse_expand(value, max_top=max_top, max_depth=max_depth, depth=depth)
        elif name == "$top":
            options.top = _integer("$top", value.strip(), max_top)
        elif name == "$skip":
            options.skip = _integer("$skip", value.strip(), 10**9)
        elif name == "$count":
            if value.strip().lower() not in ("true", "false"):
                raise StaError("$count must be true or false", code="sta_invalid_count")
            options.count = value.strip().lower() == "true"
        elif name == "$resultFormat":
            if value != "dataArray":
                raise StaError("$resultFormat supports only dataArray", code="sta_invalid_format")
        elif name.startswith("$"):
            raise StaError(f"unknown query option {name}", code="sta_unknown_option")
    return options


def parse_expand(text: str, *, max_top: int, max_depth: int, depth: int = 0) -> list[ExpandItem]:
    """Parse `$expand`, nested options included (`;`-separated inside parentheses)."""
    if depth >= max_depth:
        raise StaError(f"$expand nested deeper than {max_depth}", code="sta_expand_too_deep")
    items: list[ExpandItem] = []
    for part in split_top_level(text, ","):
        part = part.strip()
        if not part:
            raise StaError("empty $expand item", code="sta_invalid_expand")
        inner: dict[str, str] = {}
        if "(" in part:
            head, _, rest = part.partition("(")
            if not rest.endswith(")"):
                raise StaError("unbalanced parentheses in $expand", code="sta_invalid_expand")
            for option in split_top_level(rest[:-1], ";"):
                option = option.strip()
                if not option:
                    continue
                key, sep, value = option.partition("=")
                if not sep:
                    raise StaError(
                        f"expected name=value in $expand: {option[:60]!r}",
                        code="sta_invalid_expand",
                    )
                inner[key.strip()] = value
            part = head.strip()
        path = [segment for segment in part.split("/") if segment]
        if not path or len(path) + depth > max_depth:
            raise StaError("invalid $expand path", code="sta_invalid_expand")
        options = parse_options(
            inner, max_top=max_top, max_depth=max_depth, depth=depth + len(path)
        )
        # `A/B` is `A($expand=B)`: build the chain from the inside out.
        item = ExpandItem([path[-1]], options)
        for segment in reversed(path[:-1]):
            item = ExpandItem([segment], QueryOptions(expand=[item]))
        items.append(item)
    return items
