"""The official fields (linear/schema.graphql) that the sandbox derives from its data beyond rankbridge's own
reads: the organisation (``Query.organization``, ``User.organization`` …), the lists behind a team, user,
cycle, state, label or project (``Team.issues``, ``User.assignedIssues``, ``Cycle.issues`` …), a team's
special states (``Team.triageIssueState``, ``activeCycle`` …), cycle positions (``Cycle.isPast``, ``isNext``
…), progress and counts. Each follows the field's description in the official schema; values the sandbox has
no data for are in :mod:`sandbox.linear.defaults`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.linear.data import PRIORITY_LABELS, LinearData
from sandbox.linear.filters import Filters, moment
from sandbox.linear.paging import nested, ordered_nested

Entity = dict[str, Any]
Resolver = Callable[..., Any]
SUPPORT_SOURCES = {"zendesk", "intercom", "front", "helpScout", "salesforce"}  # Issue.customerTicketCount
DONE_TYPES = ("completed", "canceled", "duplicate")


def organization(d: LinearData) -> Entity:
    """The one workspace: ``urlKey`` is the path segment of every URL the sandbox serves."""
    created = min((u["createdAt"] for u in d.users.values()), default="2025-01-01T00:00:00.000Z")
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://linear.app/{d.workspace}")),
        "name": d.workspace.title(),
        "urlKey": d.workspace,
        "createdAt": created,
        "updatedAt": created,
        "userCount": sum(1 for u in d.users.values() if u.get("active", True)),
        "createdIssueCount": len(d.issues),
        "customerCount": len(d.customers),
    }


def _hash(entity: Entity) -> str:
    return hashlib.sha256(str(entity["id"]).encode()).hexdigest()[:16]


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper() or "?"


class Derived:
    """Resolvers of derived fields, by type and field name."""

    def __init__(self, data: LinearData, filters: Filters) -> None:
        self.d, self.filters = data, filters

    # --- lists as connections ---------------------------------------------------------------------------
    def issues_where(self, test: Callable[[Entity], bool]) -> Resolver:
        def resolve(entity: Entity, _info: Any, **args: Any) -> Entity:
            return self._issue_page((i for i in self.d.issues.values() if test(i)), args)

        return resolve

    def _issue_page(self, issues: Iterable[Entity], args: dict[str, Any]) -> Entity:
        flt = args.get("filter")
        return ordered_nested(issues, args, lambda i: self.filters.match("Issue", i, flt))

    def related_issues(self, key: str) -> Resolver:
        """The issues whose ``key`` (``_team``, ``_cycle``, ``_assignee`` …) names the entity."""

        def resolve(entity: Entity, _info: Any, **args: Any) -> Entity:
            return self._issue_page((i for i in self.d.issues.values() if i.get(key) == entity["id"]), args)

        return resolve

    def table_page(self, table: str, type_name: str, test: Callable[[Entity, Entity], bool]) -> Resolver:
        def resolve(entity: Entity, _info: Any, **args: Any) -> Entity:
            rows = (r for r in getattr(self.d, table).values() if test(entity, r))
            flt = args.get("filter")
            return ordered_nested(rows, args, lambda r: self.filters.match(type_name, r, flt))

        return resolve

    @staticmethod
    def empty(_entity: Entity, _info: Any, **args: Any) -> Entity:
        return nested([], args)

    # --- teams and cycles -------------------------------------------------------------------------------
    def team_cycles(self, team: Entity) -> list[Entity]:
        return sorted(
            (c for c in self.d.cycles.values() if c["_team"] == team["id"]), key=lambda c: c["number"]
        )

    def active_number(self, cycle: Entity) -> float | None:
        """The number of the team's active cycle (None: the team has none running)."""
        active = [c for c in self.d.cycles.values() if c["_team"] == cycle["_team"] and c.get("isActive")]
        return float(active[0]["number"]) if active else None

    def cycle_position(self, test: Callable[[float, float], bool]) -> Resolver:
        """``isPast``/``isFuture``/``isNext``/``isPrevious`` relative to the team's active cycle."""

        def resolve(cycle: Entity, _info: Any) -> bool:
            active = self.active_number(cycle)
            return active is not None and test(float(cycle["number"]), active)

        return resolve

    def state_of(self, kind: str) -> Resolver:
        def resolve(team: Entity, _info: Any) -> Entity | None:
            states = [s for s in self.d.states.values() if s["_team"] == team["id"] and s["type"] == kind]
            return min(states, key=lambda s: s["position"]) if states else None

        return resolve

    def progress(self, key: str) -> Resolver:
        """Completed share of the estimate points of the issues whose ``key`` names the entity (canceled
        ones do not count; an issue without an estimate counts as the team's default, 1 point)."""

        def resolve(entity: Entity, _info: Any) -> float:
            done = total = 0.0
            for issue in self.d.issues.values():
                if issue.get(key) != entity["id"]:
                    continue
                kind = self.d.states[issue["_state"]]["type"]
                if kind in ("canceled", "duplicate"):
                    continue
                points = float(issue.get("estimate") or 1)
                total += points
                done += points if kind == "completed" else 0.0
            return done / total if total else 0.0

        return resolve

    def scope(self, key: str) -> Resolver:
        def resolve(entity: Entity, _info: Any) -> float:
            return float(
                sum(
                    float(i.get("estimate") or 1)
                    for i in self.d.issues.values()
                    if i.get(key) == entity["id"]
                )
            )

        return resolve

    def uncompleted_on_close(self, cycle: Entity, _info: Any, **args: Any) -> Entity:
        """A completed cycle's issues that were not done when it closed (the sandbox never carries them
        over, so they are still in it); an open cycle has none."""
        if cycle.get("completedAt") is None:
            return nested([], args)
        open_issues = (
            i
            for i in self.d.issues.values()
            if i.get("_cycle") == cycle["id"] and self.d.states[i["_state"]]["type"] not in DONE_TYPES
        )
        return self._issue_page(open_issues, args)

    # --- the table --------------------------------------------------------------------------------------
    def by_type(self) -> dict[str, dict[str, Resolver]]:
        d = self.d
        org: Resolver = lambda *_: organization(d)  # noqa: E731
        ws = f"https://linear.app/{d.workspace}"
        users = self.table_page("users", "User", lambda _o, _u: True)
        teams = self.table_page("teams", "Team", lambda _o, _t: True)
        return {
            "Issue": {
                "boardOrder": lambda i, _: i["sortOrder"],  # deprecated for sortOrder, which it equals
                "prioritySortOrder": lambda i, _: i["sortOrder"],
                "customerTicketCount": lambda i, _: sum(
                    1 for a in i["_attachments"] if a.get("sourceType") in SUPPORT_SOURCES
                ),
                "formerAttachments": self.empty,  # the sandbox never moves attachments between issues
                "formerNeeds": self.empty,
            },
            "IssueHistory": {
                "issue": lambda h, _: d.issues.get(h.get("_issue", "")),
                "updatedAt": lambda h, _: h.get("updatedAt") or h["createdAt"],
                "actor": lambda h, _: d.users.get(h.get("actorId") or ""),
            },
            "Attachment": {"archivedAt": lambda a, _: a.get("archivedAt")},
            "Comment": {"children": self.empty, "createdIssues": self.empty},
            "IssueLabel": {
                "organization": org,
                "children": self.table_page("labels", "IssueLabel", lambda o, x: x.get("_parent") == o["id"]),
                "parent": lambda label, _: d.labels.get(label.get("_parent") or ""),
                "issues": lambda label, info, **a: self.issues_where(lambda i: label["id"] in i["_labels"])(
                    label, info, **a
                ),
            },
            "Project": {
                "issues": self.related_issues("_project"),
                "comments": self.empty,
                "members": self.empty,
                "needs": self.empty,  # needs attach to issues in the sandbox (CustomerNeed.project is null)
                "priorityLabel": lambda p, _: PRIORITY_LABELS[int(p["priority"])],
                "prioritySortOrder": lambda p, _: p["sortOrder"],
                "progress": self.progress("_project"),
                "scope": self.scope("_project"),
            },
            "ProjectStatus": {
                "createdAt": lambda s, _: s.get("createdAt") or organization(d)["createdAt"],
                "updatedAt": lambda s, _: s.get("updatedAt") or organization(d)["createdAt"],
            },
            "CustomerTier": {
                "createdAt": lambda s, _: s.get("createdAt") or organization(d)["createdAt"],
                "updatedAt": lambda s, _: s.get("updatedAt") or organization(d)["createdAt"],
            },
            "Customer": {
                "needs": lambda c, _: [n for n in d.needs.values() if n["_customer"] == c["id"]],
                "approximateNeedCount": lambda c, _: float(
                    sum(
                        1
                        for n in d.needs.values()
                        if n["_customer"] == c["id"] and n.get("archivedAt") is None
                    )
                ),
                "slugId": lambda c, _: str(c["id"])[:12],
                "url": lambda c, _: f"{ws}/customer/{str(c['id'])[:12]}",
            },
            "Cycle": {
                "issues": self.related_issues("_cycle"),
                "uncompletedIssuesUponClose": self.uncompleted_on_close,
                "isPast": self.cycle_position(lambda n, active: n < active),
                "isFuture": self.cycle_position(lambda n, active: n > active),
                "isNext": self.cycle_position(lambda n, active: n == active + 1),
                "isPrevious": self.cycle_position(lambda n, active: n == active - 1),
                "progress": self.progress("_cycle"),
            },
            "WorkflowState": {"issues": self.related_issues("_state")},
            "Team": {
                "organization": org,
                "displayName": lambda t, _: t["name"],
                "issues": self.related_issues("_team"),
                "issueCount": lambda t, _: sum(1 for i in d.issues.values() if i["_team"] == t["id"]),
                "cycles": self.table_page("cycles", "Cycle", lambda t, c: c["_team"] == t["id"]),
                "cyclesEnabled": lambda t, _: bool(self.team_cycles(t)),
                "cycleDuration": lambda t, _: self._cycle_weeks(t),
                "cycleStartDay": lambda t, _: self._cycle_start_day(t),
                "activeCycle": lambda t, _: next((c for c in self.team_cycles(t) if c.get("isActive")), None),
                "upcomingCycleCount": lambda t, _: float(
                    sum(1 for c in self.team_cycles(t) if self.cycle_position(lambda n, a: n > a)(c, None))
                ),
                "projects": self.table_page("projects", "Project", lambda t, p: t["id"] in p["_teams"]),
                "members": users,
                "labels": self.empty,  # the generated labels are the workspace's, not a team's
                "ancestors": lambda *_: [],
                "children": lambda *_: [],
                "triageEnabled": lambda t, _: self.state_of("triage")(t, None) is not None,
                "triageIssueState": self.state_of("triage"),
                "defaultIssueState": self.state_of("backlog"),
                "startWorkflowState": self.state_of("started"),
                "markedAsDuplicateWorkflowState": self.state_of("duplicate"),
                "inviteHash": lambda t, _: _hash(t),
            },
            "User": {
                "organization": org,
                "admin": lambda u, _: u["id"] == d.viewer_id,  # the API key's user administers the sandbox
                "owner": lambda u, _: u["id"] == d.viewer_id,
                "isMe": lambda u, _: u["id"] == d.viewer_id,
                "isAssignable": lambda u, _: bool(u.get("active", True)),
                "initials": lambda u, _: _initials(str(u["name"])),
                "inviteHash": lambda u, _: _hash(u),
                "url": lambda u, _: f"{ws}/profiles/{u['displayName']}",
                "assignedIssues": self.related_issues("_assignee"),
                "createdIssues": self.related_issues("_creator"),
                "createdIssueCount": lambda u, _: sum(
                    1 for i in d.issues.values() if i["_creator"] == u["id"]
                ),
                "delegatedIssues": self.empty,
                "teams": teams,
            },
            "Organization": {
                "users": users,
                "teams": teams,
                "labels": self.table_page("labels", "IssueLabel", lambda _o, _x: True),
                "projectStatuses": lambda *_: sorted(d.statuses.values(), key=lambda s: s["position"]),
            },
        }

    def _cycle_weeks(self, team: Entity) -> float:
        cycles = self.team_cycles(team)
        if not cycles:
            return 1.0
        span = moment(cycles[0]["endsAt"]) - moment(cycles[0]["startsAt"])
        return round(span.days / 7, 2)

    def _cycle_start_day(self, team: Entity) -> float:
        """0 = Sunday … 6 = Saturday (Team.cycleStartDay), from the team's first cycle."""
        cycles = self.team_cycles(team)
        return float((moment(cycles[0]["startsAt"]).weekday() + 1) % 7) if cycles else 1.0
