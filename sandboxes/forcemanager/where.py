"""The SQL-like `where` and `order` parameters of list calls, compiled to Python.

Grammar (keywords case-insensitive):
    expr    := term (OR term)*
    term    := factor (AND factor)*
    factor  := NOT factor | "(" expr ")" | field op literal | field [NOT] IN "(" literal, … ")"
             | field IS [NOT] NULL | field [NOT] LIKE 'pattern'
    op      := = | != | <> | < | <= | > | >=
    literal := 'text' ('' escapes a quote) | number | true | false | null
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandboxes.forcemanager.fields import Kind
from sandboxes.forcemanager.timefmt import parse_instant

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class WhereError(ValueError):
    """The filter cannot be understood; the message says where and why."""


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|<>|!=|=|<|>)"
    r"|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)

@dataclass
class Plan:
    """A compiled filter: the predicate, and what an index can narrow first."""

    predicate: Predicate
    updated_after: float | None = None  # ms, from dateUpdated > / >= (a lower bound)
    ids: set[int] | None = None  # from id = N / id IN (…)
    fields: set[str] = field(default_factory=set)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise WhereError(f"unexpected character at position {pos}: {text[pos:pos + 10]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


_WANTED = {"word": "a field name", "str": "a 'quoted' text", "op": "a comparison (=, <, >…)",
           "punct": "a parenthesis or comma", "num": "a number"}


class _Parser:
    def __init__(self, text: str, kind_of: Callable[[str], Kind | None]) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.kind_of = kind_of
        self.fields: set[str] = set()

    def peek_word(self) -> str | None:
        if self.i < len(self.tokens) and self.tokens[self.i][0] == "word":
            return self.tokens[self.i][1].upper()
        return None

    def take(self, kind: str, value: str | None = None) -> str:
        wanted = value or _WANTED[kind]
        if self.i >= len(self.tokens):
            raise WhereError(f"unexpected end of filter, expected {wanted}")
        k, v = self.tokens[self.i]
        if k != kind or (value is not None and v.upper() != value):
            raise WhereError(f"expected {wanted} but found {v!r}")
        self.i += 1
        return v

    def parse(self) -> tuple:
        node = self.expr()
        if self.i != len(self.tokens):
            raise WhereError(f"unexpected {self.tokens[self.i][1]!r}")
        return node

    def expr(self) -> tuple:
        node = self.term()
        while self.peek_word() == "OR":
            self.i += 1
            node = ("or", node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.peek_word() == "AND":
            self.i += 1
            node = ("and", node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.peek_word() == "NOT":
            self.i += 1
            return ("not", self.factor())
        if self.i < len(self.tokens) and self.tokens[self.i] == ("punct", "("):
            self.i += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        name = self.take("word")
        kind = self.kind_of(name)
        if kind is None:
            raise WhereError(f"unknown field {name!r}")
        self.fields.add(name)
        word = self.peek_word()
        if word == "IS":
            self.i += 1
            negate = self.peek_word() == "NOT"
            if negate:
                self.i += 1
            self.take("word", "NULL")
            return ("null", name, negate)
        negate = False
        if word == "NOT":
            self.i += 1
            negate = True
            word = self.peek_word()
            if word not in ("IN", "LIKE"):
                raise WhereError(f"expected IN or LIKE after {name} NOT")
        if word == "IN":
            self.i += 1
            self.take("punct", "(")
            values = [self.literal(name, kind)]
            while self.i < len(self.tokens) and self.tokens[self.i] == ("punct", ","):
                self.i += 1
                values.append(self.literal(name, kind))
            self.take("punct", ")")
            return ("in", name, frozenset(values), negate)
        if word == "LIKE":
            self.i += 1
            pattern = self.take("str")[1:-1].replace("''", "'")
            return ("like", name, _like(pattern), negate)
        op = self.take("op")
        value = self.literal(name, kind)
        if value is None:
            if op not in ("=", "!=", "<>"):
                raise WhereError(f"{name} {op} null is never true; use IS NULL")
            return ("null", name, op != "=")
        return ("cmp", name, "!=" if op == "<>" else op, value)

    def literal(self, name: str, kind: Kind) -> Any:
        if self.i >= len(self.tokens):
            raise WhereError(f"expected a value for {name}")
        k, v = self.tokens[self.i]
        self.i += 1
        if k == "word" and v.upper() == "NULL":
            return None
        if k == "str":
            raw: Any = v[1:-1].replace("''", "'")
        elif k == "num":
            raw = float(v) if "." in v else int(v)
        elif k == "word" and v.upper() in ("TRUE", "FALSE"):
            raw = v.upper() == "TRUE"
        else:
            raise WhereError(f"expected a value for {name} but found {v!r}")
        return _coerce(name, kind, raw)


def _coerce(name: str, kind: Kind, raw: Any) -> Any:
    try:
        if kind is Kind.DATETIME:
            if not isinstance(raw, str):
                raise ValueError
            return parse_instant(raw)
        if kind is Kind.BOOL:
            if isinstance(raw, bool):
                return raw
            if raw in (0, 1, "0", "1"):
                return bool(int(raw))
            if isinstance(raw, str) and raw.lower() in ("true", "false"):
                return raw.lower() == "true"
            raise ValueError
        if kind in (Kind.INT, Kind.FK):
            if isinstance(raw, bool) or isinstance(raw, float):
                raise ValueError
            return int(raw)
        if kind is Kind.DECIMAL:
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        return raw if isinstance(raw, str) else str(raw)
    except ValueError:
        raise WhereError(f"{raw!r} is not a valid {kind.value} for {name}") from None


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compile(node: tuple) -> Predicate:
    tag = node[0]
    if tag == "and":
        left, right = _compile(node[1]), _compile(node[2])
        return lambda r: left(r) and right(r)
    if tag == "or":
        left, right = _compile(node[1]), _compile(node[2])
        return lambda r: left(r) or right(r)
    if tag == "not":
        inner = _compile(node[1])
        return lambda r: not inner(r)
    name = node[1]
    if tag == "null":
        negate = node[2]
        return lambda r: (r.get(name) is None) != negate
    if tag == "in":
        values, negate = node[2], node[3]
        return lambda r: r.get(name) is not None and (r.get(name) in values) != negate
    if tag == "like":
        pattern, negate = node[2], node[3]
        return lambda r: isinstance(r.get(name), str) and bool(pattern.fullmatch(r[name])) != negate
    op, value = _OPS[node[2]], node[3]

    def compare(r: Record) -> bool:
        current = r.get(name)
        if current is None:
            return False
        try:
            return op(current, value)
        except TypeError:
            return False

    return compare


def _conjuncts(node: tuple) -> list[tuple]:
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    return [node]


def compile_where(text: str | None, kind_of: Callable[[str], Kind | None]) -> Plan:
    """Compile a filter; kind_of(name) gives a field's kind, or None for an unknown field."""
    if text is None or not text.strip():
        return Plan(lambda r: True)
    parser = _Parser(text, kind_of)
    tree = parser.parse()
    plan = Plan(_compile(tree), fields=parser.fields)
    for node in _conjuncts(tree):
        if node[0] == "cmp" and node[1] == "dateUpdated" and node[2] in (">", ">="):
            if plan.updated_after is None or node[3] > plan.updated_after:
                plan.updated_after = node[3]
        elif node[0] == "cmp" and node[1] == "id" and node[2] == "=":
            plan.ids = {node[3]} if plan.ids is None else plan.ids & {node[3]}
        elif node[0] == "in" and node[1] == "id" and not node[3]:
            plan.ids = set(node[2]) if plan.ids is None else plan.ids & set(node[2])
    return plan


_ORDER_ITEM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)


def parse_order(text: str | None, kind_of: Callable[[str], Kind | None]) -> list[tuple[str, bool]]:
    """`name [ASC|DESC], …` → [(name, descending)]. Empty means id order."""
    if text is None or not text.strip():
        return []
    order: list[tuple[str, bool]] = []
    for item in text.split(","):
        m = _ORDER_ITEM.match(item)
        if not m:
            raise WhereError(f"cannot order by {item.strip()!r}; use: field [ASC|DESC], …")
        if kind_of(m.group(1)) is None:
            raise WhereError(f"cannot order by unknown field {m.group(1)!r}")
        order.append((m.group(1), (m.group(2) or "ASC").upper() == "DESC"))
    return order


def sort_key(name: str) -> Callable[[Record], tuple]:
    # None sorts first; mixed types never meet because a field has one kind.
    return lambda r: (r.get(name) is not None, r.get(name) if r.get(name) is not None else 0)

