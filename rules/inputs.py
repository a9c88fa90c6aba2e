"""The values of the vocabulary's names for each item: its own fields, its parent, and its evidence.

:class:`Facts` is built once per run: it indexes the items, links and customers, merges the feedback of
mirror groups (the same work in several trackers shares its evidence, each request counted once), and
summarises each item's evidence the first time a rule asks (counted once per organisation, weighted by ARR
and tier). :meth:`Facts.names` computes only the names the compiled rules use.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import Any

from rules.config import CustomersConfig, EvidenceConfig
from rules.customers import Identities
from rules.evidence import NO_EXTRA, Extra, rolled_up, summarise
from rules.mirrors import mirror_groups
from rules.vocabulary import VOCABULARY
from sync.model import Customer, Item, Kind, Link, LinkType, qualified_ref

__all__ = ["VOCABULARY", "Facts", "Summary", "is_rankable"]

OPEN = frozenset({"triage", "backlog", "todo", "in_progress"})
CLOSED = frozenset({"done", "canceled"})
DONE, CANCELED = "done", "canceled"  # completed work, and work closed without being done (won't do)


@dataclass(frozen=True)
class Summary:
    """An item's feedback evidence (merged over its mirror group)."""

    count: int = 0
    orgs: int = 0
    arr: float = 0.0
    enterprise: int = 0
    tiers: list[str] = field(default_factory=list)
    orgs_by_tier: dict[str, int] = field(default_factory=dict)
    requests_by_tier: dict[str, int] = field(default_factory=dict)
    sla_breaches: int = 0


EMPTY = Summary()


def raw_estimate(item: Item) -> float | None:
    """The item's estimate in its connection's unit: a project estimate field (GitHub keeps it in
    ``fields['estimate']``) first, else the tracker's own (Jira's field, Linear's, a mapped label)."""
    field = item.fields.get("estimate") if item.fields else None
    if isinstance(field, int | float) and not isinstance(field, bool):
        return float(field)
    return item.estimate


def estimate_source(item: Item) -> str:
    """Where the estimate came from, in words an explanation can show."""
    fields = item.fields or {}
    field = fields.get("estimate")
    if isinstance(field, int | float) and not isinstance(field, bool):
        return "project estimate field"
    if fields.get("estimate_label"):
        return f"label {fields['estimate_label']}"
    if item.estimate is not None:
        return f"{item.source} estimate"
    return "no estimate"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def days_between(earlier: str | None, later: datetime) -> float | None:
    moment = parse_time(earlier)
    return None if moment is None else round((later - moment).total_seconds() / 86400, 2)


def due_in_days(due: str | None, today: date) -> float | None:
    if not due:
        return None
    try:
        return float((date.fromisoformat(due[:10]) - today).days)
    except ValueError:
        return None


class Facts:
    """Everything the names of one run are computed from; pure and built once per run."""

    def __init__(
        self,
        items: Iterable[Item],
        links: Iterable[Link],
        customers: Iterable[Customer],
        now: datetime | None = None,
        scale: dict[str, float] | None = None,
        sla_field: str = "sla_breached",
        default_effort: float = 1.0,
        customers_config: CustomersConfig | None = None,
        evidence: EvidenceConfig | None = None,
    ) -> None:
        self.now = now or datetime.now(UTC)
        self.today = self.now.date()
        self.by_uid = {item.uid: item for item in items}
        self.identities = Identities(customers, customers_config)
        self.scale = scale or {}
        self.sla_field = sla_field
        self.default_effort = default_effort
        links = list(links)
        self.groups = mirror_groups(links, self.by_uid)
        self.feedback: dict[str, list[Item]] = defaultdict(list)
        self.requested: dict[str, list[Item]] = defaultdict(list)
        requests, feedback, by_uid = LinkType.REQUESTS.value, Kind.FEEDBACK.value, self.by_uid
        for link in links:
            if link.type != requests or link.dst_uid is None:
                continue
            source, target = by_uid.get(link.src_uid), by_uid.get(link.dst_uid)
            if source is None or target is None or source.kind != feedback:
                continue
            asked = self.requested[source.uid]
            if asked and any(t is target for t in asked):  # a ticket may name an issue twice (URL and key)
                continue
            asked.append(target)
            self.feedback[target.uid].append(source)
        self._merge_mirrors()
        self.evidence = evidence or EvidenceConfig()
        self.rolled: dict[str, int] = {}  # requests an item has through its children
        if self.evidence.rollup_to_epic:
            self.rolled = rolled_up(self.feedback, self._children_of())
        self._extra: dict[str, Extra] = {}
        self._summaries: dict[str, Summary] = {}
        self._ages: dict[str, tuple[float | None, float | None]] = {}

    def _merge_mirrors(self) -> None:
        for uid, group in self.groups.items():
            if uid != group[0]:
                continue
            merged = {f.uid: f for member in group for f in self.feedback.get(member, ())}
            shared = [merged[k] for k in sorted(merged)]
            for member in group:
                self.feedback[member] = shared

    @cached_property
    def shared_keys(self) -> frozenset[str]:
        """Keys items of more than one connection have: explanations name those items qualified."""
        first: dict[str, str] = {}
        shared = {
            i.key for i in self.by_uid.values() if first.setdefault(i.key, i.connection) != i.connection
        }
        return frozenset(shared)

    def label(self, item: Item) -> str:
        """The item's key, or its qualified reference where another connection has the same key."""
        return qualified_ref(item) if item.key in self.shared_keys else item.key

    @cached_property
    def children(self) -> Counter[str]:
        """Child items per parent uid (counted when a rule first asks)."""
        return Counter(i.parent_uid for i in self.by_uid.values() if i.parent_uid)

    def estimate(self, item: Item) -> float | None:
        """The estimate in the common unit: the raw one × the connection's ``estimate_scale``."""
        raw = raw_estimate(item)
        return None if raw is None else raw * self.scale.get(item.connection, 1.0)

    def effort(self, item: Item) -> float:
        """The effort an item takes from capacity: its normalised estimate, or the configured default."""
        estimate = self.estimate(item)
        return estimate if estimate is not None and estimate > 0 else self.default_effort

    def summary(self, uid: str) -> Summary:
        found = self._summaries.get(uid)
        if found is None:
            requests = self.feedback.get(uid)
            if not requests:
                return EMPTY
            found = self._summaries[uid] = self._summarise(requests)
        return found

    def _summarise(self, requests: list[Item]) -> Summary:
        orgs: dict[str, str] = {}  # organisation -> tier ('' when unknown)
        by_tier: dict[str, int] = {}
        arr = 0.0
        breaches = 0
        identity_of = self.identities.of
        for request in requests:
            if request.fields and request.fields.get(self.sla_field):
                breaches += 1
            identity = identity_of(request)
            org = identity.id if identity is not None else request.organization  # an unknown record: itself
            if not org and request.requester:
                org = f"{request.connection}:person:{request.requester}"  # no organisation (B2C): the person
            if not org:
                continue
            tier = orgs.get(org)
            if tier is None:
                tier = orgs[org] = identity.tier if identity is not None else ""
                arr += identity.arr if identity is not None else 0.0
            if tier:
                by_tier[tier] = by_tier.get(tier, 0) + 1
        orgs_by_tier: dict[str, int] = {}
        for tier in orgs.values():
            if tier:
                orgs_by_tier[tier] = orgs_by_tier.get(tier, 0) + 1
        return Summary(
            len(requests),
            len(orgs),
            float(arr),
            orgs_by_tier.get("enterprise", 0),
            sorted(orgs_by_tier),
            orgs_by_tier,
            by_tier,
            breaches,
        )

    def _children_of(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for item in self.by_uid.values():
            if item.parent_uid and item.parent_uid in self.by_uid and not item.deleted:
                found[item.parent_uid].append(item.uid)
        return found

    def extra(self, uid: str) -> Extra:
        """The item's weighed evidence (:mod:`rules.evidence`), computed the first time a rule asks."""
        found = self._extra.get(uid)
        if found is None:
            requests = self.feedback.get(uid)
            if not requests:
                return NO_EXTRA
            found = self._extra[uid] = summarise(requests, self.identities, self.evidence, self.now)
        return found

    def requests_of(self, uid: str) -> list[tuple[Item, Any]]:
        """Each request for the item (merged over its mirrors) with the customer identity it counted as."""
        return [(request, self.identities.of(request)) for request in self.feedback.get(uid, ())]

    def parent(self, item: Item) -> Item | None:
        return self.by_uid.get(item.parent_uid) if item.parent_uid else None

    def mirror_keys(self, item: Item) -> list[str]:
        group = self.groups.get(item.uid, ())
        return sorted(self.by_uid[u].key for u in group if u != item.uid)

    def mirrors_of(self, item: Item) -> list[Item]:
        """The other members of the item's mirror group."""
        return [self.by_uid[u] for u in self.groups.get(item.uid, ()) if u != item.uid]

    def request_ages(self, uid: str) -> tuple[float | None, float | None]:
        """Days since the newest and the oldest request (None without requests); parsed only when asked."""
        found = self._ages.get(uid)
        if found is None:
            times = (f.created_at or f.updated_at for f in self.feedback.get(uid, ()))
            ages = [a for a in (days_between(t, self.now) for t in times) if a is not None]
            found = self._ages[uid] = (min(ages), max(ages)) if ages else (None, None)
        return found

    def builder(self, wanted: Iterable[str]) -> Callable[[Item, Facts], dict[str, Any]]:
        """A function computing only the ``wanted`` names of an item (the rules' names, once per run)."""
        return names_function(frozenset(wanted))

    def names(self, item: Item, wanted: Iterable[str] | None = None) -> dict[str, Any]:
        """The names an expression sees for ``item`` (all of the vocabulary, or only ``wanted``)."""
        return self.builder(VOCABULARY if wanted is None else wanted)(item, self)


# How each name is computed from the item ``i`` and the run's facts ``f``, with shared lookups: ``p`` the
# parent, ``s`` the evidence summary, ``a`` the request ages, ``r`` the issues a feedback item asks for.
# The names are never copied: expressions cannot change a value (no attribute access, no assignment).
SOURCES: dict[str, str] = {
    "key": "i.key",
    "ref": "qualified_ref(i)",
    "title": "i.title",
    "kind": "i.kind",
    "source": "i.source",
    "connection": "i.connection",
    "status": "i.status",
    "status_category": "i.status_category",
    "priority_level": "i.priority_level",
    "labels": "i.labels",
    "estimate": "f.estimate(i)",
    "estimate_raw": "raw_estimate(i)",
    "estimate_source": "estimate_source(i)",
    "due_in_days": "due_in_days(i.due_date, f.today)",
    "age_days": "days_between(i.created_at, f.now) or 0.0",
    "container": "i.container or ''",
    "fields": "i.fields",
    "has_parent": "i.parent_uid is not None",
    "parent_key": "p.key if p else ''",
    "parent_title": "p.title if p else ''",
    "parent_labels": "p.labels if p else []",
    "children": "f.children.get(i.uid, 0)",
    "feedback_count": "s.count",
    "feedback_orgs": "s.orgs",
    "feedback_arr": "s.arr",
    "enterprise_orgs": "s.enterprise",
    "tiers": "s.tiers",
    "orgs_by_tier": "s.orgs_by_tier",
    "requests_by_tier": "s.requests_by_tier",
    "newest_request_days": "a[0]",
    "oldest_request_days": "a[1]",
    "sla_breaches": "s.sla_breaches",
    "weighted_requests": "x.weighted_requests",
    "decayed_requests": "x.decayed_requests",
    "decayed_arr": "x.decayed_arr",
    "arr_where": "x.arr_where",
    "orgs_where": "x.orgs_where",
    "requests_where": "x.requests_where",
    "days_to_renewal": "x.days_to_renewal",
    "churn_risk_orgs": "x.churn_risk_orgs",
    "churn_risk_arr": "x.churn_risk_arr",
    "rolled_up_requests": "f.rolled.get(i.uid, 0)",
    "mirrors": "len(f.groups[i.uid]) - 1 if i.uid in f.groups else 0",
    "mirror_keys": "f.mirror_keys(i)",
    "mirror_categories": "sorted({m.status_category for m in f.mirrors_of(i)})",
    "mirrors_done": "bool(f.mirrors_of(i)) and all(m.status_category == DONE for m in f.mirrors_of(i))",
    "mirrors_closed": "bool(f.mirrors_of(i)) and all(m.status_category in CLOSED for m in f.mirrors_of(i))",
    "linked_count": "len(r)",
    "linked_done": "sum(1 for t in r if t.status_category == DONE)",
    "linked_canceled": "sum(1 for t in r if t.status_category == CANCELED)",
    "linked_closed": "sum(1 for t in r if t.status_category in CLOSED)",
    "linked_open": "sum(1 for t in r if t.status_category not in CLOSED)",
    "linked_all_done": "bool(r) and all(t.status_category == DONE for t in r)",
    "linked_all_closed": "bool(r) and all(t.status_category in CLOSED for t in r)",
    "linked_keys": "sorted(t.key for t in r)",
    "linked_refs": "sorted(qualified_ref(t) for t in r)",
    "linked_done_keys": "sorted(t.key for t in r if t.status_category == DONE)",
    "linked_canceled_keys": "sorted(t.key for t in r if t.status_category == CANCELED)",
    "linked_open_keys": "sorted(t.key for t in r if t.status_category not in CLOSED)",
}
LOOKUPS = {
    "p": "p = f.parent(i)",
    "s": "s = f.summary(i.uid) if i.uid in f.feedback else EMPTY",
    "a": "a = f.request_ages(i.uid)",
    "r": "r = f.requested.get(i.uid, ())",
    "x": "x = f.extra(i.uid)",
}
assert set(SOURCES) == set(VOCABULARY), set(SOURCES) ^ set(VOCABULARY)


# What the code generated from SOURCES may call (here and in :mod:`rules.codegen`).
SOURCE_HELPERS: dict[str, Any] = {
    "due_in_days": due_in_days,
    "days_between": days_between,
    "CLOSED": CLOSED,
    "DONE": DONE,
    "CANCELED": CANCELED,
    "EMPTY": EMPTY,
    "qualified_ref": qualified_ref,
    "raw_estimate": raw_estimate,
    "estimate_source": estimate_source,
}


@lru_cache(maxsize=64)
def names_function(wanted: frozenset[str]) -> Callable[[Item, Facts], dict[str, Any]]:
    """Generate (from the fixed :data:`SOURCES` above, never from rule text) one function returning the
    ``wanted`` names: a single call per item instead of one per name."""
    chosen = sorted(n for n in wanted if n in SOURCES)
    lookups = [line for var, line in LOOKUPS.items() if any(uses(SOURCES[n], var) for n in chosen)]
    body = ", ".join(f"{n!r}: {SOURCES[n]}" for n in chosen)
    source = "def names(i, f):\n" + "".join(f"    {line}\n" for line in lookups) + f"    return {{{body}}}\n"
    namespace: dict[str, Any] = dict(SOURCE_HELPERS)
    exec(compile(source, "<names>", "exec"), namespace)  # built from SOURCES only, never from rule text
    function: Callable[[Item, Facts], dict[str, Any]] = namespace["names"]
    return function


def uses(source: str, var: str) -> bool:
    return re.search(rf"(?<![\w.]){var}\b", source) is not None


EVIDENCE_NAMES = (
    "feedback_count",
    "feedback_orgs",
    "feedback_arr",
    "enterprise_orgs",
    "requests_by_tier",
    "sla_breaches",
    "newest_request_days",
    "mirrors",
)


def evidence_of(item: Item, facts: Facts) -> dict[str, Any]:
    """The evidence an explanation shows (computed for explanations, not for scoring)."""
    return names_function(frozenset(EVIDENCE_NAMES))(item, facts)


def is_rankable(item: Item) -> bool:
    """Open work items take part in the unified ranking; feedback and closed work do not."""
    return not item.deleted and item.kind != Kind.FEEDBACK and item.status_category not in CLOSED
