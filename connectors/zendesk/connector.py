"""The Zendesk connector: customer feedback in, engineering status and rank back onto the tickets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import ConnectionConfig, Connector, Shape, Stream, rows_at
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.config import ZendeskConfig
from connectors.zendesk.normalize import ZendeskMapping
from connectors.zendesk.streams import ZendeskStreams, with_sideloads
from connectors.zendesk.write import ZendeskWriter
from sync.model import Item, OpKind, utc_iso

WRITABLE = ("score", "rank", "linked_status", "linked_key", "report")
RANK_SHIFT = {"rank", "score"}  # a solved ticket is not rewritten for these alone
BULK = 100  # tickets per Update Many Tickets request


class ZendeskConnector(Connector):
    source: ClassVar[str] = "zendesk"
    op_kinds: ClassVar[frozenset[str]] = frozenset(
        {OpKind.FIELD, OpKind.FIELDS, OpKind.STATUS, OpKind.COMMENT, OpKind.TAGS, OpKind.UNTAG}
    )
    client: ZendeskClient
    writer: ZendeskWriter

    def __init__(self, name: str, config: ConnectionConfig) -> None:
        if not isinstance(config, ZendeskConfig):
            config = ZendeskConfig.model_validate(config.model_dump())
        super().__init__(name, config)
        self.zendesk: ZendeskConfig = config
        self.client = ZendeskClient(config, self.policy)
        self.mapping = ZendeskMapping(name, config)
        self._streams = ZendeskStreams(self.client, config)
        self.writer = ZendeskWriter(self.client, config)

    # reading
    def stream_table(self) -> Mapping[str, Stream]:
        return {
            "tickets": Stream(self._streams.tickets, self.mapping.ticket, holds=self._exported),
            "organizations": Stream(self._streams.organizations, self.mapping.organization),
            "jira_links": Stream(self._streams.jira_links, self.mapping.jira_link),
        }

    def _exported(self, item: Item) -> bool:
        """A whole ticket export (from ``start_time``) lists every ticket updated since then, soft-deleted
        ones too (``status: "deleted"``); a permanently deleted one no longer."""
        return item.updated_at >= utc_iso(datetime.fromtimestamp(self.zendesk.start_time, UTC))

    # writing (Zendesk has no order: no rank scopes)
    def writable_fields(self) -> set[str]:
        """``linked_key``, ``linked_status``, ``rank`` and ``score`` (the one linked issue a ticket's fields
        describe, see :mod:`sync.plan.fieldops`) where a custom ticket field is configured for them."""
        names = {name for name in WRITABLE if name in self.zendesk.fields}
        if self.zendesk.score_field and self.zendesk.score_field in self.zendesk.fields:
            names.add("score")
        return names

    def can_write(self, item: Item) -> bool:
        """Closed tickets are read-only in Zendesk (updates answer 422)."""
        return super().can_write(item) and item.status != "closed"

    def field_batch(self) -> int:
        """Every field of a ticket in one ticket object, up to 100 tickets in one Update Many request."""
        return BULK

    def quiet_fields(self, item: Item) -> set[str]:
        """A solved ticket is rewritten only when its story changes (another issue, a new status), never
        for a rank shift alone: each write is an audit event the customer's agent sees."""
        return set(RANK_SHIFT) if item.status == "solved" else set()

    def replay_shapes(self) -> list[Shape]:
        """A ticket export (its side-loaded users, groups and organisations folded into each ticket as the
        pull folds them), one ticket, an organisation export, or the Jira integration's links."""
        return [
            Shape(
                "tickets",
                ("tickets",),
                '{"tickets": [...], "users"/"groups"/"organizations": [...]}',
                routed=_tickets,
            ),
            Shape("tickets", ("ticket",), '{"ticket": {...}}', routed=_one_ticket),
            Shape("organizations", ("organizations",), '{"organizations": [...]}'),
            Shape("jira_links", ("links",), '{"links": [...]} (Jira links)'),
        ]

    # operations
    def check(self) -> dict[str, Any]:
        me = self.client.get("/api/v2/users/me.json").get("user") or {}
        fields = self.client.get("/api/v2/ticket_fields.json").get("ticket_fields") or []
        known = {str(f.get("id")): f.get("title") for f in fields if isinstance(f, Mapping)}
        state = self.policy.pacer.state
        return {
            "auth": "ok",
            "user": me.get("email") or me.get("name"),
            "role": me.get("role"),
            "rate_limit_remaining": state.remaining,
            "rate_limit": state.limit,
            "fields": {name: known.get(fid, "MISSING") for name, fid in self.zendesk.fields.items()},
        }


def _tickets(document: Any) -> list[tuple[str, dict[str, Any]]] | None:
    tickets = rows_at(document, ("tickets",))
    if tickets is None:
        return None
    return [("tickets", ticket) for ticket in with_sideloads(tickets, document)]


def _one_ticket(document: Any) -> list[tuple[str, dict[str, Any]]] | None:
    ticket = document.get("ticket") if isinstance(document, Mapping) else None
    if not isinstance(ticket, dict):
        return None
    return [("tickets", folded) for folded in with_sideloads([ticket], document)]
