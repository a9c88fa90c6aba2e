"""Linear's filter objects, evaluated over the emulator's data (linear/schema.graphql: ``IssueFilter``,
``TeamFilter`` … and the comparators ``StringComparator``, ``NullableStringComparator``, ``DateComparator``,
``NullableDateComparator``, ``NumberComparator``, ``NullableNumberComparator``, ``BooleanComparator``,
``IDComparator``; collections through ``AttachmentCollectionFilter``'s ``some``/``every``/``length``).

A filter names fields of the object it filters, so a field's value is what the schema serves for it (the
field's resolver, or the stored value); a relation (``team``, ``state``, ``parent``, ``user``) is filtered by
the related object's own filter; a field without data is null, so it passes ``null: true`` and no
comparison. Dates accept what ``DateTimeOrDuration`` documents: an ISO 8601 date and time, a shortcut such
as ``2021`` (midnight, 1 January 2021), or an ISO 8601 duration added to now (``-P2W1D``: two weeks and a
day ago).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from sandbox.linear.data import GraphQLFailure, iso, parse_iso
from sandbox.linear.paging import MAX_PAGE

Entity = dict[str, Any]
DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def moment(value: Any, now: datetime | None = None) -> datetime:
    """A ``DateTimeOrDuration`` (or a ``DateTime``/``TimelessDate`` value) as an aware datetime."""
    text = str(value).strip()
    matched = DURATION.match(text)
    if matched and text not in ("P", "-P", "+P") and not text.endswith("T"):
        sign = -1 if matched["sign"] == "-" else 1
        part = {k: float(v) if v else 0.0 for k, v in matched.groupdict().items() if k != "sign"}
        at = _add_months(now or datetime.now(UTC), sign * int(part["Y"] * 12 + part["M"]))
        span = timedelta(
            weeks=part["W"], days=part["D"], hours=part["h"], minutes=part["m"], seconds=part["s"]
        )
        return at + sign * span
    if re.fullmatch(r"\d{4}", text):
        return datetime(int(text), 1, 1, tzinfo=UTC)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return datetime(int(text[:4]), int(text[5:]), 1, tzinfo=UTC)
    try:
        return parse_iso(text)
    except ValueError:
        raise GraphQLFailure(f"Invalid DateTimeOrDuration {text!r}") from None


def iso_moment(value: Any) -> str:
    """``value`` as the stored timestamp form (for index look-ups)."""
    return iso(moment(value))


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "eqIgnoreCase": lambda v, w: v.casefold() == w.casefold(),
    "neqIgnoreCase": lambda v, w: v.casefold() != w.casefold(),
    "startsWith": lambda v, w: v.startswith(w),
    "startsWithIgnoreCase": lambda v, w: v.casefold().startswith(w.casefold()),
    "notStartsWith": lambda v, w: not v.startswith(w),
    "endsWith": lambda v, w: v.endswith(w),
    "notEndsWith": lambda v, w: not v.endswith(w),
    "contains": lambda v, w: w in v,
    "containsIgnoreCase": lambda v, w: w.casefold() in v.casefold(),
    "notContains": lambda v, w: w not in v,
    "notContainsIgnoreCase": lambda v, w: w.casefold() not in v.casefold(),
    "containsIgnoreCaseAndAccent": lambda v, w: _fold(w) in _fold(v),
}
ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: bool(a == b),
    "neq": lambda a, b: bool(a != b),
    "gt": lambda a, b: bool(a > b),
    "gte": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "lte": lambda a, b: bool(a <= b),
}


def _comparable(value: Any, wanted: Any, is_time: bool) -> tuple[Any, Any]:
    if is_time:
        return moment(value), moment(wanted)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value, wanted
    return float(value), float(wanted)


def compare(value: Any, comparator: dict[str, Any], is_time: bool) -> bool:
    """Whether ``value`` passes every operator of ``comparator`` (null fails all but ``null``)."""
    for op, wanted in comparator.items():
        if wanted is None:
            continue
        if op == "and":  # EstimateComparator nests comparators
            ok = all(compare(value, c, is_time) for c in wanted)
        elif op == "or":
            ok = any(compare(value, c, is_time) for c in wanted)
        elif op == "null":
            ok = (value is None) == bool(wanted)
        elif value is None:
            ok = False
        elif op in ORDER_OPS:
            left, right = _comparable(value, wanted, is_time)
            ok = ORDER_OPS[op](left, right)
        elif op in ("in", "nin"):
            members = [_comparable(value, w, is_time) for w in wanted]
            found = any(left == right for left, right in members)
            ok = found if op == "in" else not found
        elif op in STRING_OPS:
            ok = STRING_OPS[op](str(value), str(wanted))
        else:
            raise GraphQLFailure(f"Unsupported comparator {op}")
        if not ok:
            return False
    return True


TIME_TYPES = {"DateTime", "TimelessDate"}


class Filters:
    """Evaluates a filter against an entity of a named object type of the bound schema.

    ``extra`` gives values of filter fields that are not fields of the object (``Issue``'s
    ``customerCount``, ``Cycle``'s ``isInCooldown`` …); ``members`` gives the type and the whole list behind
    a collection filter (a connection field's resolver returns one page; ``Team.users`` is no field)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        extra: dict[tuple[str, str], Callable[[Entity], Any]],
        members: dict[tuple[str, str], tuple[str, Callable[[Entity], list[Entity]]]],
    ) -> None:
        self.schema, self.extra, self.members = schema, extra, members

    def match(self, type_name: str, entity: Entity, flt: dict[str, Any] | None) -> bool:
        owner = self.schema.type_map[type_name]
        assert isinstance(owner, GraphQLObjectType)
        for name, condition in (flt or {}).items():
            if condition is None:
                continue
            if name == "and":
                ok = all(self.match(type_name, entity, f) for f in condition)
            elif name == "or":
                ok = any(self.match(type_name, entity, f) for f in condition)
            else:
                ok = self._field(owner, entity, name, condition)
            if not ok:
                return False
        return True

    def _field(self, owner: GraphQLObjectType, entity: Entity, name: str, condition: dict[str, Any]) -> bool:
        key = (owner.name, name)
        if key in self.members:
            node_type, members = self.members[key]
            return self.collection(node_type, members(entity), condition)
        if key in self.extra:
            return compare(self.extra[key](entity), condition, is_time=False)
        field = owner.fields[name]
        target = get_named_type(field.type)
        if target.name.endswith("Connection") and isinstance(target, GraphQLObjectType):
            node_type = get_named_type(target.fields["nodes"].type).name
            assert field.resolve is not None, key
            return self.collection(
                node_type, list(field.resolve(entity, None, first=MAX_PAGE)["nodes"]), condition
            )
        value = field.resolve(entity, None) if field.resolve else entity.get(name)
        if isinstance(target, GraphQLObjectType):
            return self.related(target.name, value, condition)
        return compare(value, condition, is_time=target.name in TIME_TYPES)

    def related(self, type_name: str, value: Entity | None, condition: dict[str, Any]) -> bool:
        """A relation's filter (``Nullable…Filter``): ``null`` says whether there is none; the other
        fields filter the related object, and a missing one passes none of them."""
        wanted_null = condition.get("null")
        if wanted_null is not None and (value is None) != bool(wanted_null):
            return False
        rest = {k: v for k, v in condition.items() if k != "null"}
        if not rest:
            return wanted_null is not None or value is not None
        return value is not None and self.match(type_name, value, rest)

    def collection(self, node_type: str, members: list[Entity], condition: dict[str, Any]) -> bool:
        """A collection filter: ``some``/``every`` member matches, ``length`` compares the count, and/or
        combine collection filters, and a field of the members holds when some member has it."""
        for name, value in condition.items():
            if value is None:
                continue
            if name == "null":  # whether the collection is empty
                ok = (not members) == bool(value)
            elif name == "some":
                ok = any(self.match(node_type, m, value) for m in members)
            elif name == "every":
                ok = all(self.match(node_type, m, value) for m in members)
            elif name == "length":
                ok = compare(len(members), value, is_time=False)
            elif name == "and":
                ok = all(self.collection(node_type, members, c) for c in value)
            elif name == "or":
                ok = any(self.collection(node_type, members, c) for c in value)
            else:
                ok = any(self.match(node_type, m, {name: value}) for m in members)
            if not ok:
                return False
        return True
