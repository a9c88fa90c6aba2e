"""One customer per organisation: the records of one organisation in several trackers (a Zendesk
organisation, a Linear customer) and requesters without an organisation, matched into one identity.

Matching, strongest first (each a union of the records it ties):

1. ``[customers] merge``: records a person says are one customer;
2. a shared external id (a CRM's id on a Zendesk organisation's ``external_id``, in a Linear customer's
   ``externalIds``);
3. a shared email domain (``domain_names``, Linear's ``domains``);
4. the same normalised name (case, punctuation and company suffixes such as Inc, Ltd or GmbH aside).

A record listed in ``[customers] separate`` takes part only in ``merge`` (a person's word beats a matching
name or domain). A request whose ticket has no organisation counts as the customer whose domain its
requester's email has, if exactly one has it. An identity's ARR, size and tier are its records' largest
(the same revenue recorded twice is one revenue), so each customer counts once in every evidence name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rules.config import CustomersConfig
from sync.model import Customer, Item

SUFFIXES = frozenset(
    {"inc", "incorporated", "ltd", "limited", "llc", "gmbh", "ag", "sa", "sas", "bv", "plc", "corp", "co",
     "corporation", "company", "pty", "srl", "oy", "ab", "as", "kk", "the"}
)  # fmt: skip
TIER_ORDER = ("enterprise", "business", "growth", "pro", "startup", "starter", "free")


def normalised_name(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    kept = [w for w in words if w not in SUFFIXES]
    return " ".join(kept or words)


@dataclass
class Identity:
    """One customer: the records that are it, and what counts once."""

    id: str  # the uid of its first record (stable while that record exists)
    name: str
    members: list[Customer]
    tier: str = ""  # lower case
    arr: float = 0.0
    size: int | None = None
    domains: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # organisation fields, the first record's first

    @property
    def sources(self) -> list[str]:
        return [m.uid for m in self.members]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "sources": [{"uid": m.uid, "connection": m.connection, "name": m.name} for m in self.members],
            "tier": self.tier or None,
            "arr": self.arr,
            "size": self.size,
            "domains": self.domains,
            "fields": self.fields,
        }


class _Union:
    def __init__(self, keys: Iterable[str]) -> None:
        self.parent = {k: k for k in keys}

    def find(self, key: str) -> str:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _tier_rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)


class Identities:
    """Every customer record of a run matched into identities; pure."""

    def __init__(self, customers: Iterable[Customer], config: CustomersConfig | None = None) -> None:
        config = config or CustomersConfig()
        records = {c.uid: c for c in customers}
        union = _Union(records)
        for group in config.merge:
            known = [uid for uid in group if uid in records]
            for uid in known[1:]:
                union.join(known[0], uid)
        separate = set(config.separate)
        matchable = [c for c in records.values() if c.uid not in separate]
        for keys in (lambda c: c.external_ids, lambda c: c.domains, lambda c: (normalised_name(c.name),)):
            seen: dict[str, str] = {}
            for record in matchable:
                for key in keys(record):
                    if key:
                        union.join(seen.setdefault(key, record.uid), record.uid)
        groups: dict[str, list[Customer]] = defaultdict(list)
        for uid in sorted(records):
            groups[union.find(uid)].append(records[uid])
        self.by_record: dict[str, Identity] = {}
        self.all: list[Identity] = []
        for members in groups.values():
            identity = _identity(members)
            self.all.append(identity)
            for member in members:
                self.by_record[member.uid] = identity
        by_domain: dict[str, set[str]] = defaultdict(set)
        for identity in self.all:
            for domain in identity.domains:
                by_domain[domain].add(identity.id)
        by_id = {i.id: i for i in self.all}
        self.by_domain = {d: by_id[next(iter(ids))] for d, ids in by_domain.items() if len(ids) == 1}
        self.all.sort(key=lambda i: (-i.arr, i.name.casefold(), i.id))

    def of(self, request: Item) -> Identity | None:
        """The customer a request counts as: its organisation's, else its requester's email domain's."""
        if request.organization:
            found = self.by_record.get(request.organization)
            if found is not None:
                return found
        if request.requester_domain:
            return self.by_domain.get(request.requester_domain)
        return None


def _identity(members: list[Customer]) -> Identity:
    tiers = sorted({(m.tier or "").lower() for m in members if m.tier}, key=_tier_rank)
    sizes = [m.size for m in members if m.size is not None]
    fields: dict[str, Any] = {}
    for member in reversed(members):
        fields.update({k: v for k, v in member.fields.items() if v not in (None, "")})
    return Identity(
        id=members[0].uid,
        name=max(members, key=lambda m: (m.arr or 0.0, -members.index(m))).name,
        members=members,
        tier=tiers[0] if tiers else "",
        arr=max((m.arr or 0.0 for m in members), default=0.0),
        size=max(sizes) if sizes else None,
        domains=sorted({d.lower() for m in members for d in m.domains}),
        fields=fields,
    )
