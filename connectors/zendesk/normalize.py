"""Pure mapping of Zendesk payloads to records: tickets → feedback items and their links, organisations →
customers, Jira links → ``requests`` links. No I/O here.

A ticket payload is the ticket object as Zendesk sends it; the tickets stream may add
``_sideloaded`` (requester, assignee, group and organisation from the export's side-loads) and
``_comments`` (comment bodies, when configured), and both are optional. Payloads are parsed JSON, so
objects are checked as ``dict`` (an ABC check costs several times more, on every ticket).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.errors import SkippableError
from connectors.zendesk.config import ZendeskConfig
from connectors.zendesk.mentions import MentionFinder
from sync.model import Customer, Item, Kind, Link, LinkType, Records, StatusCategory, parse_utc, utc_iso

SOURCE = "zendesk"
STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "new": StatusCategory.TRIAGE,
    "open": StatusCategory.TO_DO,
    "pending": StatusCategory.IN_PROGRESS,
    "hold": StatusCategory.IN_PROGRESS,
    "solved": StatusCategory.DONE,
    "closed": StatusCategory.DONE,
    "deleted": StatusCategory.CANCELED,
}
PRIORITY_LEVELS = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
ORIGIN_API, ORIGIN_FIELD, ORIGIN_TEXT = "api", "field", "text"


def zendesk_time(value: Any) -> str | None:
    """Zendesk's ISO 8601 timestamps in the one stored form (:func:`sync.model.utc_iso`: milliseconds,
    ``Z``); None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
        return value[:19] + ".000Z"  # Zendesk's usual UTC form: the fast path of every ticket's timestamps
    try:
        return utc_iso(parse_utc(str(value)))
    except ValueError as exc:
        raise SkippableError(f"bad timestamp {value!r}") from exc


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _domain(user: Any) -> str | None:
    """The email domain of a side-loaded user (the address itself is not kept)."""
    email = user.get("email") if isinstance(user, dict) else None
    if not isinstance(email, str) or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def _person(user: Any, fallback: Any) -> str | None:
    if isinstance(user, dict) and (user.get("name") or user.get("email")):
        return str(user.get("name") or user.get("email"))
    return None if fallback in (None, "") else str(fallback)


MAX_SHARED_CUSTOMERS = 10_000  # distinct side-loaded organisations remembered at once


@dataclass
class ZendeskMapping:
    """What normalising needs from a connection: its name, base URL and configured names."""

    connection: str
    config: ZendeskConfig

    def __post_init__(self) -> None:
        self.base_url = self.config.url.rstrip("/")
        self.field_names = {int(fid): name for name, fid in self.config.fields.items()}
        config = self.config
        self.mentions = MentionFinder(config.link_patterns, config.key_prefixes, config.url_keys)
        self._customers: dict[bytes, Customer] = {}

    def uid(self, native_id: Any) -> str:
        return f"{self.connection}:{native_id}"

    # --- tickets -----------------------------------------------------------------------------------------
    def ticket(self, payload: Mapping[str, Any]) -> Records:
        ticket_id, status, updated = payload.get("id"), payload.get("status"), payload.get("updated_at")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise SkippableError(f"ticket without an integer id: {ticket_id!r}")
        if not isinstance(status, str) or not isinstance(updated, str):
            raise SkippableError(f"ticket {ticket_id} without status or updated_at")
        sideloaded = payload.get("_sideloaded") or {}
        if not isinstance(sideloaded, dict):
            raise SkippableError(f"ticket {ticket_id}: _sideloaded is not an object")
        item = self._ticket_item(ticket_id, status, payload, sideloaded)
        records = Records(items=[item], links=self._ticket_links(item, payload))
        organization = sideloaded.get("organization")
        if isinstance(organization, dict) and organization.get("id") is not None:
            records.customers.append(self._side_loaded_customer(organization))
        return records

    def _side_loaded_customer(self, organization: dict[str, Any]) -> Customer:
        """The customer of a ticket's side-loaded organisation. A page side-loads each organisation once
        and all its tickets carry it, so one customer (immutable) serves every ticket of the same content."""
        try:
            content = orjson.dumps(organization, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # what orjson refuses is normalised as it is, without sharing
            return self.organization(organization).customers[0]
        customer = self._customers.get(content)
        if customer is None:
            if len(self._customers) >= MAX_SHARED_CUSTOMERS:
                self._customers.clear()
            customer = self._customers[content] = self.organization(organization).customers[0]
        return customer

    def _ticket_item(
        self, ticket_id: int, status: str, payload: Mapping[str, Any], sideloaded: Mapping[str, Any]
    ) -> Item:
        org_id = payload.get("organization_id")
        group = sideloaded.get("group")
        tags = payload.get("tags") or []
        if not isinstance(tags, list):
            raise SkippableError(f"ticket {ticket_id}: tags is not a list")
        priority = payload.get("priority")
        return Item(
            uid=self.uid(ticket_id),
            connection=self.connection,
            source=SOURCE,
            native_id=str(ticket_id),
            key=f"#{ticket_id}",
            kind=Kind.FEEDBACK.value,
            title=_text(payload.get("subject")) or _text(payload.get("raw_subject")),
            body=_text(payload.get("description")),
            url=f"{self.base_url}/agent/tickets/{ticket_id}",
            status=status,
            status_id=str(payload["custom_status_id"]) if payload.get("custom_status_id") else None,
            status_category=self.category(status).value,
            priority=priority if isinstance(priority, str) else None,
            priority_level=PRIORITY_LEVELS.get(str(priority), 0),
            labels=[str(t) for t in tags],
            assignee=_person(sideloaded.get("assignee"), payload.get("assignee_id")),
            requester=_person(sideloaded.get("requester"), payload.get("requester_id")),
            requester_domain=_domain(sideloaded.get("requester")),
            organization=self.uid(org_id) if org_id is not None else None,
            container=_group_name(group, payload.get("group_id")),
            due_date=zendesk_time(payload.get("due_at")),
            created_at=zendesk_time(payload.get("created_at")),
            updated_at=zendesk_time(payload.get("updated_at")) or "",
            fields=self.fields(payload),
            deleted=status == "deleted",
        )

    def category(self, status: str) -> StatusCategory:
        if status in self.config.status_map:
            return self.config.status_map[status]
        return STATUS_CATEGORIES.get(status, StatusCategory.TO_DO)

    def fields(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Configured custom fields by name (a configured field the ticket lacks is None)."""
        values = {name: None for name in self.config.fields}
        for entry in payload.get("custom_fields") or payload.get("fields") or []:
            if not isinstance(entry, dict):
                raise SkippableError(f"ticket {payload.get('id')}: malformed custom_fields entry")
            name = self.field_names.get(entry.get("id"))  # type: ignore[arg-type]
            if name is not None:
                values[name] = entry.get("value")
        return values

    def _ticket_links(self, item: Item, payload: Mapping[str, Any]) -> list[Link]:
        links: dict[str, Link] = {}
        if self.config.link_field:
            for mention in self.mentions.find_value(item.fields.get(self.config.link_field)):
                links.setdefault(mention.ref, self._requests(item.uid, ORIGIN_FIELD, mention.ref))
        comments = payload.get("_comments") or []
        texts = [item.title, item.body, *(_text(c) for c in comments if isinstance(comments, list))]
        for mention in self.mentions.find(texts):
            links.setdefault(mention.ref, self._requests(item.uid, ORIGIN_TEXT, mention.ref))
        return list(links.values())

    @staticmethod
    def _requests(src_uid: str, origin: str, ref: str) -> Link:
        return Link(src_uid=src_uid, type=LinkType.REQUESTS.value, origin=origin, dst_ref=ref)

    # --- organisations -------------------------------------------------------------------------------
    def organization(self, payload: Mapping[str, Any]) -> Records:
        org_id, name = payload.get("id"), payload.get("name")
        if org_id is None or not isinstance(name, str):
            raise SkippableError(f"organization without id or name: {org_id!r}")
        values = payload.get("organization_fields") or {}
        if not isinstance(values, dict):
            raise SkippableError(f"organization {org_id}: organization_fields is not an object")
        keys = self.config.organization_fields
        tier = values.get(keys.get("tier", "tier"))
        customer = Customer(
            uid=self.uid(org_id),
            connection=self.connection,
            name=name,
            tier=str(tier) if tier not in (None, "") else None,
            arr=_number(values.get(keys.get("arr", "arr")), float, org_id),
            size=_number(values.get(keys.get("size", "size")), int, org_id),
            external_ids=(str(payload["external_id"]),)
            if payload.get("external_id") not in (None, "")
            else (),
            domains=tuple(str(d).lower() for d in payload.get("domain_names") or () if isinstance(d, str)),
            fields=dict(values),
        )
        return Records(customers=[customer])

    # --- Jira links -----------------------------------------------------------------------------------
    def jira_link(self, payload: Mapping[str, Any]) -> Records:
        ticket_id, issue_id = payload.get("ticket_id"), payload.get("issue_id")
        issue_key = payload.get("issue_key")
        if ticket_id in (None, "") or (not issue_key and not issue_id):
            raise SkippableError(f"jira link {payload.get('id')!r} without ticket or issue")
        # Zendesk's Jira integration names a Jira issue: the ref resolves among Jira connections only,
        # never to a Linear issue that happens to have the same key.
        if self.config.jira_connection and issue_id not in (None, ""):
            ref = f"uid:{self.config.jira_connection}:{issue_id}"
        else:
            ref = f"service:jira:{issue_key}" if issue_key else f"native:jira:{issue_id}"
        return Records(links=[self._requests(self.uid(ticket_id), ORIGIN_API, ref)])


def _group_name(group: Any, group_id: Any) -> str | None:
    if isinstance(group, dict) and group.get("name"):
        return str(group["name"])
    return None if group_id is None else str(group_id)


def _number(value: Any, kind: type[float] | type[int], org_id: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return kind(float(value))
    except (TypeError, ValueError) as exc:
        raise SkippableError(f"organization {org_id}: {value!r} is not a number") from exc
