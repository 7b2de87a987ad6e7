"""A small version of Codat's query language: ``field op value`` clauses joined by ``&&``
and ``||`` (``&&`` binds tighter), grouped with ``{ }``; dotted paths reach sub-properties and
a clause on an array matches when any element does. Pure functions, no I/O."""
from __future__ import annotations

import re
from collections.abc import Callable

from services.sandbox_provider.clock import parse as parse_date

Predicate = Callable[[dict], bool]
_TOKENS = re.compile(r"(&&|\|\||\{|\})")
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$", re.DOTALL)
MAX_LENGTH = 2048


class QueryError(ValueError):
    """Raised when a query string cannot be parsed."""


def compile_query(text: str) -> Predicate:
    if len(text) > MAX_LENGTH:
        raise QueryError(f"The query is longer than {MAX_LENGTH} characters")
    tokens = [t for t in (t.strip() for t in _TOKENS.split(text)) if t]
    if not tokens:
        raise QueryError("The query is empty")
    predicate, rest = _expr(tokens)
    if rest:
        raise QueryError(f"Unexpected {rest[0]!r} in the query")
    return predicate


def _expr(tokens: list[str]) -> tuple[Predicate, list[str]]:
    terms = []
    term, tokens = _term(tokens)
    terms.append(term)
    while tokens and tokens[0] == "||":
        term, tokens = _term(tokens[1:])
        terms.append(term)
    return (terms[0] if len(terms) == 1 else lambda r: any(t(r) for t in terms)), tokens


def _term(tokens: list[str]) -> tuple[Predicate, list[str]]:
    factors = []
    factor, tokens = _factor(tokens)
    factors.append(factor)
    while tokens and tokens[0] == "&&":
        factor, tokens = _factor(tokens[1:])
        factors.append(factor)
    return (factors[0] if len(factors) == 1 else lambda r: all(f(r) for f in factors)), tokens


def _factor(tokens: list[str]) -> tuple[Predicate, list[str]]:
    if not tokens:
        raise QueryError("The query ends too early")
    head, rest = tokens[0], tokens[1:]
    if head == "{":
        inner, rest = _expr(rest)
        if not rest or rest[0] != "}":
            raise QueryError("A '{' in the query is not closed")
        return inner, rest[1:]
    if head in ("}", "&&", "||"):
        raise QueryError(f"Unexpected {head!r} in the query")
    return _clause(head), rest


def _clause(text: str) -> Predicate:
    match = _CLAUSE.match(text)
    if not match:
        raise QueryError(f"Cannot read the clause {text!r}; expected field=value")
    path, op, raw = match.groups()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        raw = raw[1:-1]
    keys = path.split(".")

    def predicate(record: dict) -> bool:
        values = _lookup(record, keys)
        if not values:
            return op == "!="
        matches = [_compare(v, op, raw) for v in values]
        return all(matches) if op == "!=" else any(matches)
    return predicate


def _lookup(value: object, keys: list[str]) -> list:
    if isinstance(value, list):
        return [found for item in value for found in _lookup(item, keys)]
    if not keys:
        return [] if value is None else [value]
    if not isinstance(value, dict) or keys[0] not in value:
        return []
    return _lookup(value[keys[0]], keys[1:])


def _compare(value: object, op: str, raw: str) -> bool:
    if isinstance(value, bool):
        left, right = str(value).lower(), raw.lower()
    elif isinstance(value, (int, float)) and op != "~":
        try:
            left, right = value, float(raw)
        except ValueError:
            raise QueryError(f"{raw!r} is not a number") from None
    else:
        left, right = str(value).casefold(), raw.casefold()
        if op in (">", "<", ">=", "<="):
            dates = parse_date(str(value)), parse_date(raw)
            if None not in dates:
                left, right = dates
    if op == "~":
        return right in left
    return {"=": left == right, "!=": left != right, ">": left > right, "<": left < right,
            ">=": left >= right, "<=": left <= right}[op]
