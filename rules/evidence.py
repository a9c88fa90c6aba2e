"""Evidence PMs weigh beyond counts: how important each request is, how recent, which segment asked,
renewals and churn risk of the asking customers (each customer once, see :mod:`rules.customers`).

Computed per item the first time a rule asks for one of these names (:meth:`rules.inputs.Facts.extra`):

* importance of a request: the largest ``importance_tags`` weight among its tags, else
  ``importance_by_priority`` of its priority (Zendesk's ticket priority, Linear's "important" customer
  need), else 1; ``weighted_requests`` sums it.
* decay: a request weighs 0.5 ** (age / ``half_life_days``); ``decayed_requests`` sums the weights,
  ``decayed_arr`` weighs each customer's ARR by its newest request.
* segments: ``arr_where['tier=enterprise']``, ``orgs_where['region=emea']`` and ``requests_where[…]``
  restrict ARR, customers and requests to the customers whose tier or organisation field has that value
  (field and value compared without case; a segment nobody asked from gives 0).
* ``days_to_renewal``: days until the soonest renewal date among the asking customers (None without one);
  ``churn_risk_orgs`` and ``churn_risk_arr``: asking customers whose churn field is set (not no/low/false).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from rules.config import EvidenceConfig
from rules.customers import Identities, Identity
from sync.model import Item

NOT_AT_RISK = frozenset({"", "no", "none", "low", "false", "0", "ok"})


class Segments(dict[str, float]):
    """``'field=value'`` -> total; lookups ignore case, and a segment nobody asked from is 0."""

    def __missing__(self, key: str) -> float:
        folded = key.casefold().replace(" = ", "=")
        return dict.get(self, folded, 0.0) if folded != key else 0.0


@dataclass(frozen=True)
class Extra:
    weighted_requests: float = 0.0
    decayed_requests: float = 0.0
    decayed_arr: float = 0.0
    arr_where: Segments = field(default_factory=Segments)
    orgs_where: Segments = field(default_factory=Segments)
    requests_where: Segments = field(default_factory=Segments)
    days_to_renewal: float | None = None
    churn_risk_orgs: int = 0
    churn_risk_arr: float = 0.0


NO_EXTRA = Extra()


def importance(request: Item, config: EvidenceConfig) -> float:
    tagged = [config.importance_tags[t] for t in request.labels if t in config.importance_tags]
    if tagged:
        return max(tagged)
    return config.importance_by_priority.get((request.priority or "").lower(), 1.0)


def _age_days(request: Item, now: datetime) -> float:
    stamp = request.created_at or request.updated_at
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else now
    except ValueError:
        moment = now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - moment).total_seconds() / 86400)


def _segments_of(identity: Identity) -> list[str]:
    pairs: list[tuple[str, object]] = [("tier", identity.tier)] if identity.tier else []
    pairs += [(str(k), v) for k, v in identity.fields.items() if isinstance(v, str | int | float | bool)]
    return [f"{k}={v}".casefold() for k, v in pairs]


def _renewal_in(identity: Identity, config: EvidenceConfig, today: date) -> float | None:
    value = identity.fields.get(config.renewal_field)
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return float((date.fromisoformat(value[:10]) - today).days)
    except ValueError:
        return None


def at_risk(identity: Identity, config: EvidenceConfig) -> bool:
    value = identity.fields.get(config.churn_field)
    return value is not None and str(value).strip().casefold() not in NOT_AT_RISK


def summarise(
    requests: Sequence[Item], identities: Identities, config: EvidenceConfig, now: datetime
) -> Extra:
    weighted = decayed = 0.0
    newest: dict[str, tuple[float, Identity]] = {}  # identity id -> (decay of its newest request, it)
    requests_where = Segments()
    for request in requests:
        weighted += importance(request, config)
        decay = 0.5 ** (_age_days(request, now) / config.half_life_days)
        decayed += decay
        identity = identities.of(request)
        if identity is None:
            continue
        if identity.id not in newest or newest[identity.id][0] < decay:
            newest[identity.id] = (decay, identity)
        for segment in _segments_of(identity):
            requests_where[segment] = requests_where.get(segment, 0.0) + 1
    arr_where, orgs_where = Segments(), Segments()
    renewals: list[float] = []
    risk_orgs, risk_arr, decayed_arr = 0, 0.0, 0.0
    for decay, identity in newest.values():
        decayed_arr += identity.arr * decay
        for segment in _segments_of(identity):
            arr_where[segment] = arr_where.get(segment, 0.0) + identity.arr
            orgs_where[segment] = orgs_where.get(segment, 0.0) + 1
        renewal = _renewal_in(identity, config, now.date())
        if renewal is not None:
            renewals.append(renewal)
        if at_risk(identity, config):
            risk_orgs += 1
            risk_arr += identity.arr
    return Extra(
        round(weighted, 6),
        round(decayed, 6),
        round(decayed_arr, 2),
        arr_where,
        orgs_where,
        requests_where,
        min(renewals) if renewals else None,
        risk_orgs,
        risk_arr,
    )


def rolled_up(feedback: dict[str, list[Item]], children: dict[str, list[str]]) -> dict[str, int]:
    """Give every item with children its descendants' requests too, each request once (in place); the
    number each gained."""
    gained: dict[str, int] = {}
    for parent in children:
        seen: set[str] = {parent}
        stack = list(children[parent])
        own = feedback.get(parent, [])
        merged = {r.uid: r for r in own}
        while stack:
            uid = stack.pop()
            if uid in seen:
                continue  # a parent cycle in the data: each item once
            seen.add(uid)
            for request in feedback.get(uid, ()):
                merged.setdefault(request.uid, request)
            stack.extend(children.get(uid, ()))
        if len(merged) > len(own):
            gained[parent] = len(merged) - len(own)
            feedback[parent] = [merged[k] for k in sorted(merged)]
    return gained
