"""The Zendesk emulator's writes (Update Ticket, Update Many Tickets as a job) and its ``/_sandbox/``
state and edits."""

from __future__ import annotations

import time
from typing import Any

from sandbox.framework import HttpError, Request, Response
from sandbox.zendesk.data import Comment, JiraLink, Job, Ticket, ZendeskData, iso
from sandbox.zendesk.generate import FIELDS, field_id

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
CATEGORY_OF = {
    "new": "triage",
    "open": "todo",
    "pending": "in_progress",
    "hold": "in_progress",
    "solved": "done",
    "closed": "done",
    "deleted": "canceled",
}
STATUS_FOR = {
    "triage": "new",
    "backlog": "open",
    "todo": "open",
    "in_progress": "hold",
    "done": "solved",
    "canceled": "closed",
}


class TicketWrites:
    data: ZendeskData
    base_url: str
    email: str
    job_polls: int
    _job_seq: int

    def _ticket(self, ticket_id: str) -> Ticket:
        raise NotImplementedError

    # --- Update Ticket ---------------------------------------------------------------------------------
    def _update(self, ticket: Ticket, changes: dict[str, Any]) -> None:
        """Validate, then apply one ticket's changes; raises HttpError(422) and changes nothing on error."""
        if ticket.status == "closed":
            raise HttpError(422, "Status: closed prevents ticket update")
        status = changes.get("status")
        if status is not None and (status not in STATUSES or (status == "new" and ticket.status != "new")):
            raise HttpError(422, f"Status: {status} is not valid for this ticket")
        custom = self._custom_values(changes.get("custom_fields") or [])
        comment = changes.get("comment")
        if comment is not None and not str(comment.get("body") or comment.get("html_body") or "").strip():
            raise HttpError(422, "Comment: body can't be blank")
        if isinstance(changes.get("tags"), list):
            ticket.tags = sorted({str(t) for t in changes["tags"]})
        if changes.get("additional_tags"):
            ticket.tags = sorted(set(ticket.tags) | {str(t) for t in changes["additional_tags"]})
        if changes.get("remove_tags"):
            ticket.tags = sorted(set(ticket.tags) - {str(t) for t in changes["remove_tags"]})
        for name in ("subject", "priority", "group_id", "assignee_id"):
            if name in changes:
                setattr(ticket, name, changes[name])
        ticket.custom.update(custom)
        if status is not None:
            ticket.status = status
        if comment is not None:
            body = str(comment.get("body") or comment.get("html_body"))
            ticket.comments.append(
                Comment(
                    ticket.id * 10 + len(ticket.comments),
                    9000,
                    body,
                    bool(comment.get("public", True)),
                    time.time(),
                )
            )
        self.data.touch_ticket(ticket)

    def _custom_values(self, entries: list[Any]) -> dict[int, Any]:
        values: dict[int, Any] = {}
        for entry in entries:
            fid, value = int(entry["id"]), entry.get("value")
            known = self.data.fields.get(fid)
            if known is None:
                raise HttpError(422, f"Custom field {fid} does not exist")
            if value is not None and known.type in ("integer", "decimal"):
                try:
                    number = float(value)
                except (TypeError, ValueError) as exc:
                    raise HttpError(422, f"{known.title}: {value!r} is not a number") from exc
                if known.type == "integer" and not number.is_integer():
                    raise HttpError(422, f"{known.title}: {value!r} is not an integer")
                value = str(int(number)) if known.type == "integer" else str(value)
            values[fid] = value
        return values

    def update_ticket(self, request: Request) -> Response:
        ticket = self._ticket(request.params["ticket_id"])
        changes = (request.json() or {}).get("ticket")
        if not isinstance(changes, dict):
            raise HttpError(400, "Request body must hold a ticket object")
        self._update(ticket, changes)
        audit = {
            "id": int(ticket.updated * 1000),
            "ticket_id": ticket.id,
            "created_at": iso(ticket.updated),
            "author_id": 9000,
            "events": [{"type": "Change", "field_name": k} for k in sorted(changes)],
        }
        return Response(200, {"ticket": ticket.json(self.base_url), "audit": audit}, mutated=True)

    def update_many(self, request: Request) -> Response:
        """Update Many Tickets (``PUT /api/v2/tickets/update_many``, support-oas: "Accepts an array of up to
        100 ticket objects, or a comma-separated list of up to 100 ticket ids"): the same change to every id
        of ``?ids=`` (``{"ticket": {...}}``), or a batch of ``{"tickets": [{"id": …, …}, …]}`` each with its
        own change. Either way a job: its status lists one result per ticket."""
        body = request.json() or {}
        ids = [int(i) for i in request.args("ids")]
        batch = body.get("tickets") if isinstance(body, dict) else None
        if isinstance(batch, list):
            if ids:
                raise HttpError(400, "Send either ids with a ticket object or an array of tickets")
            if not all(isinstance(t, dict) and str(t.get("id", "")).isdigit() for t in batch):
                raise HttpError(400, "Every ticket object in a batch update needs its id")
            changes = [(int(t["id"]), {k: v for k, v in t.items() if k != "id"}) for t in batch]
        else:
            change = body.get("ticket") if isinstance(body, dict) else None
            if not isinstance(change, dict):
                raise HttpError(400, "Request body must hold a ticket object or an array of tickets")
            changes = [(ticket_id, change) for ticket_id in ids]
        if not changes or len(changes) > 100:
            raise HttpError(400, "update_many takes between 1 and 100 tickets")
        results = [self._job_update(ticket_id, change) for ticket_id, change in changes]
        self._job_seq += 1
        job = Job(f"{self._job_seq:032x}", len(changes), results, self.job_polls)
        self.data.jobs[job.id] = job
        return Response(200, {"job_status": self._job_json(job)}, mutated=True)

    def _job_update(self, ticket_id: int, change: dict[str, Any]) -> dict[str, Any]:
        ticket = self.data.tickets.get(ticket_id)
        try:
            if ticket is None or ticket.status == "deleted":
                raise HttpError(404, "TicketNotFound")
            self._update(ticket, change)
        except HttpError as exc:
            return {
                "id": ticket_id,
                "action": "update",
                "error": "TicketUpdateFailed",
                "details": exc.message,
                "success": False,
            }
        return {"id": ticket_id, "action": "update", "status": "Updated", "success": True}

    def _job_json(self, job: Job) -> dict[str, Any]:
        done = job.polls_before_done <= 0
        return {
            "id": job.id,
            "url": f"{self.base_url}/api/v2/job_statuses/{job.id}.json",
            "job_type": "bulk_update",
            "total": job.total,
            "progress": job.total if done else None,
            "status": "completed" if done else "queued",
            "message": "Completed" if done else None,
            "results": job.results if done else None,
        }

    # --- /_sandbox/ ----------------------------------------------------------------------------------
    def state(self) -> Any:
        names = {field_id(name): name for name in FIELDS}
        items = [
            {
                "key": f"#{t.id}",
                "native_id": str(t.id),
                "title": t.subject,
                "status": t.status,
                "status_category": CATEGORY_OF[t.status],
                "order": None,
                "labels": list(t.tags),
                # Zendesk reads a field never set and a field cleared alike (value null): so does the state.
                "fields": {names[f]: v for f, v in t.custom.items() if f in names and v is not None},
                "updated": iso(t.updated),
                "organization": t.organization_id,
                "comments": [c.body for c in t.comments],
                "deleted": t.status == "deleted",
            }
            for t in sorted(self.data.tickets.values(), key=lambda t: t.id)
        ]
        organizations = [
            {"native_id": str(o.id), "name": o.name, **o.fields, "updated": iso(o.updated)}
            for o in sorted(self.data.organizations.values(), key=lambda o: o.id)
        ]
        links = [link.json(self.base_url) for _, link in sorted(self.data.links.items())]
        return {
            "items": items,
            "organizations": organizations,
            "jira_links": links,
            "expected_links": list(self.data.expected_links),
        }

    def edit(self, change: dict[str, Any]) -> Any:
        key = str(change.get("key", ""))
        if key.startswith("org:"):
            return self._edit_organization(int(key[4:]), change.get("set") or {})
        ticket = self.data.tickets.get(int(key.lstrip("#"))) if key.lstrip("#").isdigit() else None
        if ticket is None:
            raise KeyError(f"no ticket {key!r}")
        if "move" in change:
            raise ValueError("zendesk tickets have no order")
        if change.get("delete") == "permanent":
            self.data.remove_ticket(ticket)
            return {"deleted": f"#{ticket.id}"}
        if change.get("delete"):
            ticket.status = "deleted"
        if isinstance(change.get("raw"), dict):
            ticket.raw.update(change["raw"])
        if isinstance(change.get("jira_link"), dict):
            link_id = max(self.data.links, default=0) + 1
            spec = change["jira_link"]
            self.data.links[link_id] = JiraLink(
                link_id, ticket.id, str(spec.get("issue_id") or ""), str(spec["issue_key"]), time.time()
            )
        for name, value in (change.get("set") or {}).items():
            self._set(ticket, name, value)
        self.data.touch_ticket(ticket)
        return {"key": f"#{ticket.id}", "updated": iso(ticket.updated)}

    def _set(self, ticket: Ticket, name: str, value: Any) -> None:
        if name == "title":
            ticket.subject = str(value)
        elif name == "description":
            ticket.description = str(value)
        elif name == "status_category":
            ticket.status = STATUS_FOR[str(value)]
        elif name == "status":
            if value not in STATUSES:
                raise ValueError(f"unknown status {value!r}")
            ticket.status = str(value)
        elif name == "labels":
            ticket.tags = sorted({str(v) for v in value})
        elif name in FIELDS:
            ticket.custom[field_id(name)] = value
        else:
            raise ValueError(f"cannot set {name!r} on a ticket")

    def _edit_organization(self, org_id: int, values: dict[str, Any]) -> Any:
        org = self.data.organizations.get(org_id)
        if org is None:
            raise KeyError(f"no organization {org_id}")
        for name, value in values.items():
            if name == "name":
                org.name = str(value)
            else:
                org.fields[name] = value
        self.data.touch_organization(org)
        return {"key": f"org:{org.id}", "updated": iso(org.updated)}
