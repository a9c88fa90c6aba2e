"""The Linear emulator's in-memory data: entities as dicts keyed by id, issues indexed by update time.

Scalars are stored under their GraphQL names; references to other entities as ``_team``, ``_state``, …
(resolved by :mod:`sandbox.linear.resolvers`). Every write moves ``updatedAt`` strictly forward.

Attachments (``attachmentCreate``/``attachmentDelete``) follow schema.graphql: the ``url`` identifies an
attachment within its issue, and creating one with a url the issue already has updates that one. Whether
that also moves the issue's ``updatedAt`` Linear does not document (``Issue.updatedAt``: "the last time at
which the entity was meaningfully updated"), so by default it does not (the case a client that waits for
the issue to change would miss); ``attachments_touch_issue`` switches to the other reading.
"""

from __future__ import annotations

import bisect
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CATEGORY_OF_TYPE = {
    "triage": "triage",
    "backlog": "backlog",
    "unstarted": "todo",
    "started": "in_progress",
    "completed": "done",
    "canceled": "canceled",
    "duplicate": "canceled",
}
TYPE_OF_CATEGORY = {
    "triage": "triage",
    "backlog": "backlog",
    "todo": "unstarted",
    "in_progress": "started",
    "done": "completed",
    "canceled": "canceled",
}
OPEN_TYPES = {"triage", "backlog", "unstarted", "started"}
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}


def issue_url(workspace_url: str, identifier: str, title: str) -> str:
    """``Issue.url`` (schema.graphql: "Issue URL."): ``…/issue/ENG-4/speed-up-search``, the title's slug
    after the identifier, as Linear writes it; a new title gives a new slug (the old URL still names the
    issue by its identifier)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")
    return f"{workspace_url}/issue/{identifier}" + (f"/{slug}" if slug else "")


class GraphQLFailure(Exception):
    """An error a resolver reports the way Linear does (``extensions.code``)."""

    def __init__(self, message: str, code: str = "INVALID_INPUT") -> None:
        super().__init__(message)
        self.extensions = {
            "code": code,
            "type": code.lower().replace("_", " "),
            "userPresentableMessage": message,
        }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def enter_state(issue: dict[str, Any], state: dict[str, Any], when: str) -> None:
    """Move ``issue`` into workflow ``state`` at ``when``, stamping what Linear's schema documents for
    ``Issue.startedAt``, ``completedAt`` and ``canceledAt`` (linear/schema.graphql, type Issue): the time
    it moved into a started, completed or canceled state; back in backlog or unstarted, none of them."""
    kind = state["type"]
    issue["_state"] = state["id"]
    if kind == "started":
        issue["startedAt"] = when
    elif kind in ("backlog", "unstarted", "triage"):
        issue["startedAt"] = None  # completed or canceled keep the start they had (if any)
    issue["completedAt"] = when if kind == "completed" else None
    issue["canceledAt"] = when if kind == "canceled" else None


def new_id(rng_bits: int) -> str:
    return str(uuid.UUID(int=rng_bits, version=4))


@dataclass
class LinearData:
    workspace: str = "sandbox"
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # project statuses
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    cycles: dict[str, dict[str, Any]] = field(default_factory=dict)
    tiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_identifier: dict[str, str] = field(default_factory=dict)
    by_updated: list[tuple[str, str]] = field(default_factory=list)  # sorted (updatedAt, id) of issues
    by_created: list[tuple[str, str]] = field(default_factory=list)  # sorted (createdAt, id) of issues
    viewer_id: str = ""
    sync_id: int = 1000
    last_tick: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    attachments_touch_issue: bool = False  # whether an attachment write moves its issue's updatedAt
    attachment_stamps: list[tuple[str, str]] = field(default_factory=list)  # sorted (updatedAt, issue id)

    # --- time -------------------------------------------------------------------------------------------
    def tick(self) -> str:
        """Now, strictly after every timestamp handed out before (so updates are never lost in a tie)."""
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.last_tick = max(now, self.last_tick + timedelta(milliseconds=1))
        return iso(self.last_tick)

    # --- issues -----------------------------------------------------------------------------------------
    def add_issue(self, issue: dict[str, Any]) -> None:
        self.issues[issue["id"]] = issue
        self.by_identifier[issue["identifier"]] = issue["id"]
        bisect.insort(self.by_updated, (issue["updatedAt"], issue["id"]))
        bisect.insort(self.by_created, (issue["createdAt"], issue["id"]))

    def issue(self, ref: str) -> dict[str, Any]:
        """An issue by id or identifier (``ENG-12``), as Linear's ``issue(id:)`` accepts both."""
        issue_id = self.by_identifier.get(ref, ref)
        if issue_id not in self.issues:
            raise GraphQLFailure(f"Entity not found: Issue - Could not find referenced Issue {ref}.")
        return self.issues[issue_id]

    def remove_issue(self, issue: dict[str, Any]) -> None:
        """A permanent delete (``issueDelete`` with ``permanentlyDelete: true``, schema.graphql: "skip the
        grace period of 30 days", or the trash emptied after it): no read lists it any more."""
        del self.issues[issue["id"]]
        del self.by_identifier[issue["identifier"]]
        self.by_updated.remove((issue["updatedAt"], issue["id"]))
        self.by_created.remove((issue["createdAt"], issue["id"]))
        self.sync_id += 1

    def touch(self, issue: dict[str, Any]) -> None:
        """Move ``updatedAt`` to now and keep the update index sorted."""
        old = (issue["updatedAt"], issue["id"])
        at = bisect.bisect_left(self.by_updated, old)
        if at < len(self.by_updated) and self.by_updated[at] == old:
            del self.by_updated[at]
        issue["updatedAt"] = self.tick()
        bisect.insort(self.by_updated, (issue["updatedAt"], issue["id"]))
        self.sync_id += 1

    def record_priority(self, issue: dict[str, Any], new: float, actor: str) -> None:
        """An ``IssueHistory`` entry for a priority change (schema: ``fromPriority``, ``toPriority``,
        ``actorId``), as Linear keeps for every change, in order."""
        if float(issue["priority"]) == float(new):
            return
        history = issue.setdefault("_history", [])
        history.append(
            {
                "id": f"{issue['id']}-h{len(history) + 1}",
                "createdAt": self.tick(),
                "fromPriority": float(issue["priority"]),
                "toPriority": float(new),
                "actorId": actor,
                "_issue": issue["id"],
            }
        )

    def update_issue(self, issue: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        for name, value in changes.items():
            if name == "stateId":
                state = self.states.get(str(value))
                if state is None or state["_team"] != issue["_team"]:
                    raise GraphQLFailure(f"Invalid stateId {value}: not a workflow state of the issue's team")
                enter_state(issue, state, self.last_tick_iso())
            elif name == "priority":
                if int(value) not in PRIORITY_LABELS:
                    raise GraphQLFailure(f"Invalid priority {value}: expected 0–4")
                self.record_priority(issue, float(value), self.viewer_id)  # the API key's user
                issue["priority"] = float(value)
            elif name == "sortOrder":
                issue["sortOrder"] = float(value)
            elif name in ("title", "description", "estimate", "dueDate"):
                issue[name] = value
                if name == "title":  # the URL's slug follows the title, as Linear's does
                    issue["url"] = issue_url(issue["url"].split("/issue/")[0], issue["identifier"], value)
            else:
                raise GraphQLFailure(f"Field {name} cannot be updated here")
        self.touch(issue)
        return issue

    # --- attachments ------------------------------------------------------------------------------------
    def create_attachment(self, values: dict[str, Any]) -> dict[str, Any]:
        """``attachmentCreate``: a new attachment, or the issue's attachment with that url updated."""
        issue = self.issue(str(values["issueId"]))
        url, title = str(values["url"]), str(values["title"])
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url, re.IGNORECASE):
            raise GraphQLFailure(f"Invalid url {url!r}")
        now = self.tick()
        attachment = next((a for a in issue["_attachments"] if a["url"] == url), None)
        if attachment is None:
            attachment = {"id": str(uuid.uuid4()), "url": url, "createdAt": now, "sourceType": "api"}
            issue["_attachments"].append(attachment)
        attachment.update(title=title, subtitle=values.get("subtitle"), updatedAt=now, _issue=issue["id"])
        bisect.insort(self.attachment_stamps, (now, issue["id"]))
        self._attachment_changed(issue)
        return attachment

    def delete_attachment(self, attachment_id: str) -> None:
        for issue in self.issues.values():
            kept = [a for a in issue["_attachments"] if a["id"] != attachment_id]
            if len(kept) < len(issue["_attachments"]):
                issue["_attachments"] = kept
                self._attachment_changed(issue)
                return
        raise GraphQLFailure(
            f"Entity not found: Attachment - Could not find referenced Attachment {attachment_id}."
        )

    def _attachment_changed(self, issue: dict[str, Any]) -> None:
        if self.attachments_touch_issue:
            self.touch(issue)
        else:
            self.sync_id += 1

    def attachment_changed_since(self, since: str) -> set[str]:
        """Issues whose attachments were written at or after ``since`` (a superset: the filter decides)."""
        at = bisect.bisect_left(self.attachment_stamps, (since[:10], ""))
        return {issue_id for _, issue_id in self.attachment_stamps[at:]}

    def last_tick_iso(self) -> str:
        return iso(self.last_tick)

    def state_of_type(self, team_id: str, state_type: str) -> dict[str, Any]:
        matching = [s for s in self.states.values() if s["_team"] == team_id and s["type"] == state_type]
        if not matching:
            raise KeyError(f"team {self.teams[team_id]['key']} has no {state_type} state")
        return min(matching, key=lambda s: s["position"])

    def is_open(self, issue: dict[str, Any]) -> bool:
        return issue.get("archivedAt") is None and self.states[issue["_state"]]["type"] in OPEN_TYPES

    def team_order(self, team_id: str) -> list[dict[str, Any]]:
        """The open, unarchived issues of a team by sortOrder: the rank scope."""
        open_issues = [i for i in self.issues.values() if i["_team"] == team_id and self.is_open(i)]
        return sorted(open_issues, key=lambda i: (i["sortOrder"], i["id"]))

    def team_by_key(self, key: str) -> dict[str, Any]:
        for team in self.teams.values():
            if team["key"] == key:
                return team
        raise KeyError(f"no team {key}")
