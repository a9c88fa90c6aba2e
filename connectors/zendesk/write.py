"""Writing to Zendesk: custom fields through Update Many Tickets in its batch form (every field of a ticket
in one ticket object, up to 100 tickets in one request, a background job whose status we follow), status and
comments through Update Ticket, tags through Update Many Tickets with ``additional_tags`` (a person's tags are
never replaced), and the re-reads that confirm them (Show Many Tickets, List Comments). Zendesk has no
order, so no rank ops.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.errors import ConnectorError, FatalError, RetriableError
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.config import ZendeskConfig
from connectors.zendesk.normalize import STATUS_CATEGORIES
from sync.model import Op, OpKind, OpResult, StatusCategory, batched, marked_text, shows_comment

WRITABLE_STATUSES = ("open", "pending", "hold", "solved")
BATCH = 100  # ids per update_many / show_many request
JOB_DONE = ("completed", "failed", "killed")


def same_value(current: Any, wanted: Any) -> bool:
    """Field values compare as numbers when both are numeric (Zendesk returns decimals as strings)."""
    if current == wanted:
        return True
    try:
        return math.isclose(float(current), float(wanted), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(current if current is not None else "") == str(wanted if wanted is not None else "")


class ZendeskWriter:
    def __init__(self, client: ZendeskClient, config: ZendeskConfig) -> None:
        self.client = client
        self.config = config

    # --- apply -----------------------------------------------------------------------------------------
    def apply(self, op: Op) -> OpResult:
        if op.kind in (OpKind.TAGS, OpKind.UNTAG):
            verb = "additional_tags" if op.kind == OpKind.TAGS else "remove_tags"
            return self.add_tags([str(i) for i in op.payload["items"]], list(op.payload["tags"]), verb)
        if op.kind == OpKind.FIELDS:
            return self.set_fields({str(k): dict(v) for k, v in op.payload["items"].items()})
        if op.kind == OpKind.RANK:
            return OpResult(False, "zendesk has no order: rank ops do not apply")
        item = str(op.payload["item"])
        ticket: dict[str, Any]
        if op.kind == OpKind.FIELD:
            field_id = self.field_id(str(op.payload["field"]))
            ticket = {"custom_fields": [{"id": field_id, "value": op.payload["value"]}]}
        elif op.kind == OpKind.STATUS:
            ticket = {"status": self.status_for(op.payload["category"], op.payload.get("status"))}
            if op.payload.get("reason"):
                ticket["comment"] = {"body": str(op.payload["reason"]), "public": False}
        elif op.kind == OpKind.COMMENT:
            body = marked_text(str(op.payload["body"]), op.payload.get("marker"))
            ticket = {"comment": {"body": body, "public": bool(op.payload.get("public"))}}
        else:
            return OpResult(False, f"unknown op kind {op.kind!r}")
        # A refusal (a closed ticket is read-only in Zendesk) fails this op alone (Connector.apply).
        data = self.client.put(f"/api/v2/tickets/{item}.json", {"ticket": ticket})
        updated = data.get("ticket") or {}
        return OpResult(True, f"ticket {item} updated", after=self._after(op, updated))

    def field_id(self, name: str) -> int:
        """The custom field id a logical name writes to (``score`` may go through ``score_field``)."""
        if name == "score" and self.config.score_field:
            name = self.config.score_field
        field_id = self.config.fields.get(name)
        if field_id is None:
            raise FatalError(f"zendesk: no custom field configured for {name!r} (set fields.{name})")
        return int(field_id)

    def status_for(self, category: str, exact: Any = None) -> str:
        """The status a category goes to; ``exact`` (undo: the status the ticket had) when it is one of
        that category Zendesk lets us set (never new or closed)."""
        if exact in WRITABLE_STATUSES and self._category_of(str(exact)) == StatusCategory(category):
            return str(exact)
        return self.config.status_targets[StatusCategory(category)]

    def _category_of(self, status: str) -> StatusCategory:
        return self.config.status_map.get(status) or STATUS_CATEGORIES.get(status, StatusCategory.TO_DO)

    def _after(self, op: Op, ticket: Mapping[str, Any]) -> dict[str, Any]:
        if op.kind == OpKind.FIELD:
            wanted = self.field_id(str(op.payload["field"]))
            values = {f.get("id"): f.get("value") for f in ticket.get("custom_fields") or []}
            return {"value": values.get(wanted, op.payload["value"])}
        if op.kind == OpKind.STATUS:
            return {"status": ticket.get("status")}
        return {}

    def set_fields(self, values: dict[str, dict[str, Any]]) -> OpResult:
        """Every field of each ticket in one ticket object, all tickets in one Update Many Tickets request
        (its batch form, an array of ticket objects), followed through its job status: one audit event per
        ticket, one request per hundred tickets."""
        ids = list(values)
        if len(ids) > BATCH:
            raise FatalError(f"zendesk: {len(ids)} tickets in one update_many (at most {BATCH})")
        tickets = [
            {
                "id": int(ticket_id),
                "custom_fields": [{"id": self.field_id(name), "value": v} for name, v in fields.items()],
            }
            for ticket_id, fields in values.items()
        ]
        job = self.client.put("/api/v2/tickets/update_many.json", {"tickets": tickets})
        failed = self._job_failures(job.get("job_status") or {}, ids)
        detail = f"fields of {len(ids) - len(failed)} of {len(ids)} tickets updated"
        return OpResult(not failed, detail, failed=failed, after={"tickets": len(ids) - len(failed)})

    def add_tags(self, ids: list[str], tags: list[str], verb: str = "additional_tags") -> OpResult:
        """Add (``additional_tags``) or, for undo, remove (``remove_tags``) tags without touching the
        ticket's other tags: Update Many Tickets with ``ids``, a job per hundred tickets."""
        failed: dict[str, str] = {}
        for chunk in batched(ids, BATCH):
            job = self.client.put(
                "/api/v2/tickets/update_many.json",
                {"ticket": {verb: tags}},
                params={"ids": ",".join(chunk)},
            )
            failed.update(self._job_failures(job.get("job_status") or {}, chunk))
        ok = not failed
        detail = f"tags {tags} {verb}: {len(ids) - len(failed)} of {len(ids)} tickets"
        return OpResult(ok, detail, failed=failed, after={"tags": tags})

    def _job_failures(self, job: Mapping[str, Any], ids: list[str]) -> dict[str, str]:
        """Poll the job until it ends; the ids it did not update, with the reason."""
        for _ in range(self.config.job_polls):
            if job.get("status") in JOB_DONE:
                break
            self.client.policy.sleep(min(1.0, self.config.policy.base_wait or 0.01))
            job = self.client.get(f"/api/v2/job_statuses/{job['id']}.json").get("job_status") or {}
        else:
            raise RetriableError(f"zendesk job {job.get('id')} still {job.get('status')!r}")
        results = job.get("results")
        results = results if isinstance(results, list) else []
        done = {
            str(r.get("id"))
            for r in results
            if isinstance(r, Mapping) and r.get("success", True) and not r.get("errors")
        }
        errors = {
            str(r.get("id")): str(r.get("errors") or r.get("details") or r.get("status") or "failed")
            for r in results
            if isinstance(r, Mapping) and str(r.get("id")) not in done
        }
        if job.get("status") != "completed" and not results:
            return {i: str(job.get("message") or job.get("status")) for i in ids}
        return {i: errors.get(i, "not in the job's results") for i in ids if i not in done}

    # --- verify ----------------------------------------------------------------------------------------
    def verify(self, ops: list[Op]) -> dict[str, bool]:
        ticket_ids: set[str] = set()
        for op in ops:
            if op.kind in (OpKind.TAGS, OpKind.UNTAG, OpKind.FIELDS):
                ticket_ids.update(str(i) for i in op.payload["items"])
            elif op.kind in (OpKind.FIELD, OpKind.STATUS):
                ticket_ids.add(str(op.payload["item"]))
        tickets = self.show_many(sorted(ticket_ids))
        result: dict[str, bool] = {}
        for op in ops:
            try:
                result[op.key] = self._shows(op, tickets)
            except ConnectorError:
                raise
            except (KeyError, ValueError, TypeError):
                result[op.key] = False
        return result

    def show_many(self, ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
        wanted = list(ids)
        out: dict[str, Mapping[str, Any]] = {}
        for chunk in batched(wanted, BATCH):
            data = self.client.get("/api/v2/tickets/show_many.json", {"ids": ",".join(chunk)})
            out.update({str(t.get("id")): t for t in data.get("tickets") or [] if isinstance(t, Mapping)})
        return out

    def _shows(self, op: Op, tickets: Mapping[str, Mapping[str, Any]]) -> bool:
        if op.kind in (OpKind.TAGS, OpKind.UNTAG):
            wanted = set(op.payload["tags"])
            shown = [set(tickets.get(str(i), {}).get("tags") or []) for i in op.payload["items"]]
            if op.kind == OpKind.UNTAG:
                return all(not wanted & tags for tags in shown)
            return all(wanted <= tags for tags in shown)
        if op.kind == OpKind.COMMENT:
            return self._has_comment(
                str(op.payload["item"]), str(op.payload["body"]), op.payload.get("marker")
            )
        if op.kind == OpKind.FIELDS:
            return all(
                self._shows_fields(tickets.get(str(ticket_id)), values)
                for ticket_id, values in op.payload["items"].items()
            )
        ticket = tickets.get(str(op.payload["item"]))
        if ticket is None:
            return False
        if op.kind == OpKind.FIELD:
            field_id = self.field_id(str(op.payload["field"]))
            values = {f.get("id"): f.get("value") for f in ticket.get("custom_fields") or []}
            return same_value(values.get(field_id), op.payload["value"])
        if op.kind == OpKind.STATUS:
            target = self.status_for(op.payload["category"])
            return ticket.get("status") == target or (target == "solved" and ticket.get("status") == "closed")
        return False

    def _shows_fields(self, ticket: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
        if ticket is None:
            return False
        values = {f.get("id"): f.get("value") for f in ticket.get("custom_fields") or []}
        return all(same_value(values.get(self.field_id(n)), v) for n, v in wanted.items())

    def _has_comment(self, ticket_id: str, body: str, marker: str | None) -> bool:
        """Whether the ticket holds our comment, found by its marker (List Comments, following
        ``next_page`` on Zendesk's own origin)."""
        texts: list[str] = []
        url: str | None = f"/api/v2/tickets/{ticket_id}/comments.json"
        origin = self.config.url.rstrip("/")
        for _ in range(1000):
            if url is None:
                break
            data = self.client.get(url)
            for comment in data.get("comments") or []:
                if isinstance(comment, Mapping):
                    texts.extend(str(comment.get(key) or "") for key in ("body", "plain_body", "html_body"))
            following = data.get("next_page")
            url = (
                following[len(origin) :]
                if isinstance(following, str) and following.startswith(origin)
                else None
            )
        return shows_comment(texts, body, marker)
