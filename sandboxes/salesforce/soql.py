"""The SOQL subset the service needs, parsed and checked against the describe (engine.py runs
it).

SELECT f, f | COUNT() FROM T [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n]; cond: comparisons (= != <> < <= > >=), IN / NOT IN, LIKE, AND / OR
(not mixed without parentheses, as in Salesforce), NOT, parentheses. Anything else is
MALFORMED_QUERY; unknown fields INVALID_FIELD; unknown objects INVALID_TYPE."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandboxes.salesforce.describe import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, Field, SObjectType
from sandboxes.salesforce.schema import sobject as find_sobject
from sandboxes.salesforce.values import format_datetime, normalize_id, parse_date, parse_datetime


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_KEYWORDS = {
    "select", "from", "where", "and", "or", "not", "in", "like", "order", "by", "asc", "desc",
    "nulls", "first", "last", "limit", "offset", "null", "true", "false", "count",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\", "%": "\\%", "_": "\\_"}


@dataclass
class Token:
    kind: str
    text: str
    at: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, date, datetime
    value: Any
    text: str


@dataclass
class Query:
    sobject: SObjectType
    fields: list[str] | None  # None: SELECT COUNT()
    condition: tuple | None = None  # nested tuples: ("and"|"or", [...]), ("not", c),
    # ("cmp", Field, op, Literal), ("in"|"notin", Field, [Literal]), ("like", Field, Literal)
    order: list[tuple[Field, bool, bool]] = field(default_factory=list)  # field, desc, nulls first
    limit: int | None = None
    offset: int = 0

    @property
    def is_count(self) -> bool:
        return self.fields is None


MAX_QUERY_LENGTH = 100_000  # Salesforce's limit on a SOQL statement


def parse(text: str) -> Query:
    if len(text) > MAX_QUERY_LENGTH:
        raise SoqlError("MALFORMED_QUERY", f"Query is too long: {len(text)} characters, "
                        f"at most {MAX_QUERY_LENGTH}")
    try:
        return _Parser(text).query()
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "Query is too deeply nested") from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.i = 0
        self.sobject: SObjectType | None = None

    def _tokenize(self, text: str) -> list[Token]:
        tokens = []
        at = 0
        while at < len(text):
            m = _TOKEN.match(text, at)
            if not m:
                raise self._malformed(at, f"unexpected token: '{text[at:].split()[0]}'")
            if m.lastgroup != "ws":
                tokens.append(Token(m.lastgroup or "", m.group(), at))
            at = m.end()
        tokens.append(Token("eof", "<EOF>", len(text)))
        return tokens

    def _malformed(self, at: int, detail: str, code: str = "MALFORMED_QUERY") -> SoqlError:
        before = self.text[:at]
        row = before.count("\n") + 1
        column = at - (before.rfind("\n") + 1) + 1
        line = self.text.splitlines()[row - 1] if self.text.strip() else ""
        return SoqlError(
            code,
            f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}",
        )

    # token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, word: str) -> bool:
        if self.tok.word == word or (self.tok.kind in ("punct", "op") and self.tok.text == word):
            self.i += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self._unexpected()

    def _unexpected(self) -> SoqlError:
        return self._malformed(self.tok.at, f"unexpected token: '{self.tok.text}'")

    # grammar

    def query(self) -> Query:
        self.expect("select")
        select_at = self.i
        count = False
        if self.tok.word == "count" and self.tokens[self.i + 1].text == "(":
            self.i += 2
            if self.tok.text != ")":
                raise self._malformed(self.tok.at, "Aggregate queries are not supported here")
            self.i += 1
            count = True
        else:
            self._field_names()
        self.expect("from")
        name_tok = self.advance()
        if name_tok.kind != "name" or name_tok.word in _KEYWORDS:
            raise self._malformed(name_tok.at, f"unexpected token: '{name_tok.text}'")
        self.sobject = find_sobject(name_tok.text)
        if self.sobject is None:
            raise self._malformed(
                name_tok.at,
                f"sObject type '{name_tok.text}' is not supported. If you are attempting to "
                "use a custom object, be sure to append the '__c' after the entity name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
                "INVALID_TYPE",
            )
        end_of_from = self.i
        self.i = select_at
        fields = None if count else self._select_list()
        self.i = end_of_from
        query = Query(self.sobject, fields)
        if self.accept("where"):
            query.condition = self._condition()
        if self.tok.word == "order":
            self.i += 1
            self.expect("by")
            query.order = self._order_list()
        if self.accept("limit"):
            query.limit = self._integer("LIMIT")
        if self.accept("offset"):
            query.offset = self._integer("OFFSET")
            if query.offset > 2000:
                raise SoqlError(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    f"Maximum SOQL offset allowed is 2000 (requested {query.offset})",
                )
        if self.tok.kind != "eof":
            raise self._unexpected()
        return query

    def _field_names(self) -> None:
        while True:
            tok = self.advance()
            if tok.kind != "name" or tok.word in _KEYWORDS:
                raise self._malformed(tok.at, f"unexpected token: '{tok.text}'")
            if not self.accept(","):
                return

    def _select_list(self) -> list[str]:
        names: list[str] = []
        while True:
            tok = self.advance()
            f = self._field(tok)
            if f.name in names:
                raise self._malformed(tok.at, f"duplicate field selected: {f.name}")
            names.append(f.name)
            if not self.accept(","):
                return names

    def _field(self, tok: Token) -> Field:
        assert self.sobject is not None
        if tok.kind != "name" or tok.word in _KEYWORDS:
            raise self._malformed(tok.at, f"unexpected token: '{tok.text}'")
        if "." in tok.text:
            raise self._malformed(
                tok.at, f"Relationship fields are not supported by the sandbox: {tok.text}"
            )
        f = self.sobject.field(tok.text)
        if f is None:
            raise self._malformed(
                tok.at,
                f"No such column '{tok.text}' on entity '{self.sobject.name}'. If you are "
                "attempting to use a custom field, be sure to append the '__c' after the "
                "custom field name. Please reference your WSDL or the describe call for the "
                "appropriate names.",
                "INVALID_FIELD",
            )
        return f

    def _integer(self, clause: str) -> int:
        tok = self.advance()
        if tok.kind != "number" or not tok.text.isdigit():
            raise self._malformed(tok.at, f"unexpected token: '{tok.text}'")
        return int(tok.text)

    def _order_list(self) -> list[tuple[Field, bool, bool]]:
        order = []
        while True:
            tok = self.advance()
            f = self._field(tok)
            if f.type == "textarea" and f.length > 255:
                raise SoqlError(
                    "INVALID_FIELD", f"field '{f.name}' can not be sorted in a query call"
                )
            desc = False
            if self.accept("desc"):
                desc = True
            else:
                self.accept("asc")
            nulls_first = not desc
            if self.accept("nulls"):
                if self.accept("first"):
                    nulls_first = True
                else:
                    self.expect("last")
                    nulls_first = False
            order.append((f, desc, nulls_first))
            if not self.accept(","):
                return order

    def _condition(self) -> tuple:
        first = self._unary()
        joiner = self.tok.word if self.tok.word in ("and", "or") else None
        if joiner is None:
            return first
        items = [first]
        while self.tok.word in ("and", "or"):
            if self.tok.word != joiner:
                raise self._unexpected()
            self.i += 1
            items.append(self._unary())
        return (joiner, items)

    def _unary(self) -> tuple:
        if self.accept("not"):
            return ("not", self._unary())
        if self.accept("("):
            node = self._condition()
            self.expect(")")
            return node
        return self._comparison()

    def _comparison(self) -> tuple:
        tok = self.advance()
        f = self._field(tok)
        if f.type == "textarea" and f.length > 255:
            raise SoqlError(
                "INVALID_FIELD", f"field '{f.name}' can not be filtered in a query call"
            )
        if self.accept("not"):
            self.expect("in")
            return ("notin", f, self._literal_list(f))
        if self.accept("in"):
            return ("in", f, self._literal_list(f))
        if self.accept("like"):
            lit = self._literal(f, like=True)
            return ("like", f, lit)
        op_tok = self.advance()
        if op_tok.kind != "op":
            raise self._malformed(op_tok.at, f"unexpected token: '{op_tok.text}'")
        op = "!=" if op_tok.text == "<>" else op_tok.text
        lit = self._literal(f)
        if lit.kind == "null" and op not in ("=", "!="):
            raise self._malformed(op_tok.at, f"invalid operator on null: {op}")
        return ("cmp", f, op, lit)

    def _literal_list(self, f: Field) -> list[Literal]:
        self.expect("(")
        values = [self._literal(f)]
        while self.accept(","):
            values.append(self._literal(f))
        self.expect(")")
        return values

    def _literal(self, f: Field, like: bool = False) -> Literal:
        tok = self.advance()
        if tok.word == "null":
            return Literal("null", None, tok.text)
        if tok.kind == "string":
            text = _unescape(tok.text[1:-1])
            if f.type in TEXT_TYPES:
                return Literal("string", text, tok.text)
            if f.type in ID_TYPES and not like:
                ref = normalize_id(text)
                if ref is None:
                    raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {text}")
                return Literal("string", ref, tok.text)
            raise self._type_error(f, tok)
        if like:
            raise self._type_error(f, tok)
        if tok.kind == "number" and f.type in NUMBER_TYPES:
            return Literal("number", float(tok.text), tok.text)
        if tok.word in ("true", "false") and f.type == "boolean":
            return Literal("boolean", tok.word == "true", tok.text)
        if tok.kind == "date" and f.type == "date":
            if parse_date(tok.text) is None:
                raise self._malformed(tok.at, f"invalid date: {tok.text}")
            return Literal("date", tok.text, tok.text)
        if tok.kind == "datetime" and f.type == "datetime":
            moment = parse_datetime(tok.text, require_zone=True)
            if moment is None:
                raise self._malformed(tok.at, f"invalid datetime: {tok.text}")
            return Literal("datetime", format_datetime(moment), tok.text)
        if tok.kind in ("number", "date", "datetime") or tok.word in ("true", "false"):
            raise self._type_error(f, tok)
        raise self._malformed(tok.at, f"unexpected token: '{tok.text}'")

    def _type_error(self, f: Field, tok: Token) -> SoqlError:
        quoted = f.type in TEXT_TYPES or f.type in ID_TYPES
        kind = {"datetime": "dateTime", "double": "double", "currency": "currency",
                "percent": "percent", "int": "integer"}.get(f.type, f.type)
        if quoted:
            kind = "string" if f.type in TEXT_TYPES else "id"
        return self._malformed(
            tok.at,
            f"value of filter criterion for field '{f.name}' must be of type {kind} and "
            + ("should be enclosed in quotes" if quoted else "should not be enclosed in quotes"),
            "INVALID_FIELD",
        )


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)
