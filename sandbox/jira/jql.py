"""The subset of JQL the emulator understands, parsed into a predicate and an ordering.

Clauses: ``field = | != | > | >= | < | <= value``, ``field [not] in (v, ...)``, ``field is [not] empty``,
joined by ``AND`` / ``OR`` / ``NOT`` and parentheses, then ``ORDER BY field [ASC|DESC], ...``. Fields:
project, key/issuekey/id, status, statusCategory, labels, issuetype/type, priority, resolution, parent,
updated, created, duedate; order by updated, created, key, id, Rank. Dates are ``"yyyy-MM-dd HH:mm"``,
``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd"`` read as wall-clock time in the API user's profile zone (the
emulator's ``timezone``), to the minute, as Jira reads them: the JQL reference
(https://support.atlassian.com/jira-software-cloud/docs/jql-fields/, "Updated": "yyyy/MM/dd HH:mm" ...)
gives no zone syntax, and ``User.timeZone`` in platform-swagger-v3.v3.full.json is the zone of the user's
profile. Epoch milliseconds are accepted too (zone-free).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sandbox.jira.data import CATEGORIES, STATUSES, Issue

TOKEN = re.compile(
    r"\s*(?:(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|=|>|<)"
    r"|(?P<punct>[(),])|(?P<word>[^\s(),=!<>\"']+))"
)
Predicate = Callable[[Issue], bool]
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


class JqlError(ValueError):
    """A query the emulator (like Jira) refuses: answered with 400 and the message."""


def _category_names(issue: Issue) -> list[str]:
    key = STATUSES[issue.status].category
    number, name, _ = CATEGORIES[key]
    return [key, name, str(number)]


TEXT_FIELDS: dict[str, Callable[[Issue], list[str]]] = {
    "project": lambda i: [i.project],
    "key": lambda i: [i.key, str(i.id)],
    "issuekey": lambda i: [i.key, str(i.id)],
    "id": lambda i: [i.key, str(i.id)],
    "status": lambda i: [i.status, STATUSES[i.status].id],
    "statuscategory": _category_names,
    "labels": lambda i: list(i.labels),
    "issuetype": lambda i: [i.issuetype],
    "type": lambda i: [i.issuetype],
    "priority": lambda i: [i.priority],
    "resolution": lambda i: [i.resolution] if i.resolution else [],
    "parent": lambda i: [i.parent] if i.parent else [],
}
# (issue, user's zone) -> epoch seconds; a due date is a day, starting at midnight in the user's zone
TIME_FIELDS: dict[str, Callable[[Issue, tzinfo], float | None]] = {
    "updated": lambda i, z: i.updated,
    "created": lambda i, z: i.created,
    "duedate": lambda i, z: _date(i.duedate, z) if i.duedate else None,
}
ORDER_KEYS: dict[str, Callable[[Issue], Any]] = {
    "updated": lambda i: i.updated,
    "created": lambda i: i.created,
    "key": lambda i: (i.project, i.number),
    "issuekey": lambda i: (i.project, i.number),
    "id": lambda i: i.id,
    "rank": lambda i: i.rank,
}


@dataclass
class Query:
    where: Predicate | None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    def run(self, issues: list[Issue]) -> list[Issue]:
        found = [i for i in issues if self.where is None or self.where(i)]
        found.sort(key=lambda i: i.id)
        for name, descending in reversed(self.order):
            found.sort(key=ORDER_KEYS[name], reverse=descending)
        return found


def parse(jql: str, zone: tzinfo = UTC) -> Query:
    """``jql`` parsed, its date literals read in ``zone`` (the API user's profile zone)."""
    tokens = _tokens(jql)
    parser = _Parser(tokens, zone)
    where = None if parser.at_order() or parser.done() else parser.or_expr()
    order = parser.order_by()
    if not parser.done():
        raise JqlError(f"Error in the JQL Query: unexpected {parser.peek()!r}.")
    return Query(where, order)


def _tokens(jql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = jql.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: cannot read {text[position:]!r}.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
        position = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], zone: tzinfo) -> None:
        self.tokens = tokens
        self.position = 0
        self.zone = zone

    def done(self) -> bool:
        return self.position >= len(self.tokens)

    def peek(self) -> str:
        return self.tokens[self.position][1] if not self.done() else ""

    def word(self, *expected: str) -> bool:
        if not self.done() and self.tokens[self.position][0] == "word" and self.peek().lower() in expected:
            self.position += 1
            return True
        return False

    def take(self) -> tuple[str, str]:
        if self.done():
            raise JqlError("Error in the JQL Query: the query ends too early.")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at_order(self) -> bool:
        return self.peek().lower() == "order"

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.word("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.word("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def not_expr(self) -> Predicate:
        if self.word("not"):
            inner = self.not_expr()
            return lambda i: not inner(i)
        if self.peek() == "(":
            self.take()
            inner = self.or_expr()
            if self.take()[1] != ")":
                raise JqlError("Error in the JQL Query: expected ')'.")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        name = self.take()[1].lower()
        if name not in TEXT_FIELDS and name not in TIME_FIELDS:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        if self.word("is"):
            negate = self.word("not")
            if not self.word("empty", "null"):
                raise JqlError("Error in the JQL Query: expected EMPTY after IS.")
            empty = _empty(name)
            return (lambda i: not empty(i)) if negate else empty
        if self.word("not"):
            if not self.word("in"):
                raise JqlError("Error in the JQL Query: expected IN after NOT.")
            inner = _membership(name, self.values(), self.zone)
            return lambda i: not inner(i)
        if self.word("in"):
            return _membership(name, self.values(), self.zone)
        kind, op = self.take()
        if kind != "op":
            raise JqlError(f"Error in the JQL Query: expected an operator after {name!r}.")
        return _compare(name, op, self.take()[1], self.zone)

    def values(self) -> list[str]:
        if self.take()[1] != "(":
            raise JqlError("Error in the JQL Query: expected '(' after IN.")
        values = [self.take()[1]]
        while self.peek() == ",":
            self.take()
            values.append(self.take()[1])
        if self.take()[1] != ")":
            raise JqlError("Error in the JQL Query: expected ')'.")
        return values

    def order_by(self) -> list[tuple[str, bool]]:
        if not self.word("order"):
            return []
        if not self.word("by"):
            raise JqlError("Error in the JQL Query: expected BY after ORDER.")
        order = []
        while True:
            name = self.take()[1].lower()
            if name not in ORDER_KEYS:
                raise JqlError(f"Not able to sort using field '{name}'.")
            descending = self.word("desc")
            if not descending:
                self.word("asc")
            order.append((name, descending))
            if self.peek() != ",":
                return order
            self.take()


def _empty(name: str) -> Predicate:
    if name in TIME_FIELDS:
        read = TIME_FIELDS[name]
        return lambda i: read(i, UTC) is None
    values = TEXT_FIELDS[name]
    return lambda i: not values(i)


def _membership(name: str, wanted: list[str], zone: tzinfo) -> Predicate:
    if name in TIME_FIELDS:
        moments = {_moment(v, zone) for v in wanted}
        read = TIME_FIELDS[name]
        return lambda i: read(i, zone) in moments
    lowered = {v.lower() for v in wanted}
    values = TEXT_FIELDS[name]
    return lambda i: any(v.lower() in lowered for v in values(i))


def _compare(name: str, op: str, value: str, zone: tzinfo) -> Predicate:
    if name in TIME_FIELDS:
        bound, read = _moment(value, zone), TIME_FIELDS[name]
        tests: dict[str, Callable[[float], bool]] = {
            "=": lambda t: t == bound, "!=": lambda t: t != bound, ">": lambda t: t > bound,
            ">=": lambda t: t >= bound, "<": lambda t: t < bound, "<=": lambda t: t <= bound,
        }  # fmt: skip
        test = tests[op]
        return lambda i: (t := read(i, zone)) is not None and test(t)
    if op not in ("=", "!="):
        raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
    match = _membership(name, [value], zone)
    return match if op == "=" else (lambda i: not match(i))


def _moment(value: str, zone: tzinfo) -> float:
    """A JQL date (wall-clock time in the user's ``zone``) or epoch milliseconds, as epoch seconds."""
    if re.fullmatch(r"-?\d{9,}", value):
        return int(value) / 1000
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=zone).timestamp()
        except ValueError:
            continue
    raise JqlError(f"Date value '{value}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm'.")


def _date(value: str, zone: tzinfo) -> float:
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=zone).timestamp()
