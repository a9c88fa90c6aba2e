"""What Linear's filters (linear/schema.graphql, ``IssueFilter`` … ``UserCollectionFilter``) read that is not
a plain field of the filtered object: values of filter-only fields, and the whole lists behind collection
filters (``Issue.labels``, ``Team.members``, ``User.assignedIssues`` …), by filtered type and field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.linear.data import LinearData

Entity = dict[str, Any]
Members = tuple[str, Callable[[Entity], list[Entity]]]


# Filter fields that are not fields of the filtered object (linear/schema.graphql, IssueFilter,
# ProjectFilter, CycleFilter, UserFilter): their values, from the data or none.
def filter_only(d: LinearData) -> dict[tuple[str, str], Callable[[Entity], Any]]:
    def customers(issue: Entity, important: bool) -> int:
        needs = (d.needs[n] for n in issue["_needs"])
        return len({n["_customer"] for n in needs if not important or n["priority"] >= 1})

    return {
        ("Issue", "customerCount"): lambda i: customers(i, False),
        ("Issue", "customerImportantCount"): lambda i: customers(i, True),
        ("Issue", "accumulatedStateUpdatedAt"): lambda _: None,
        ("Project", "activityType"): lambda _: None,
        ("Project", "healthWithAge"): lambda _: None,
        ("Project", "customerCount"): lambda _: 0,  # needs attach to issues, not projects, in the sandbox
        ("Project", "customerImportantCount"): lambda _: 0,
        ("Cycle", "isInCooldown"): lambda _: False,  # Team.cycleCooldownTime is 0
        ("Cycle", "inheritedFromId"): lambda _: None,
        ("User", "invited"): lambda _: False,
        ("User", "isInvited"): lambda _: False,
    }


def collections(d: LinearData) -> dict[tuple[str, str], Members]:
    """The node type and all members of each collection a filter can test (``some``, ``every``,
    ``length``); lists the sandbox keeps no data for (subscribers, shared users, owners) are empty."""

    def issues_where(key: str) -> Members:
        return "Issue", lambda e: [i for i in d.issues.values() if i.get(key) == e["id"]]

    def none(type_name: str) -> Members:
        return type_name, lambda _e: []

    return {
        ("Issue", "attachments"): ("Attachment", lambda e: list(e["_attachments"])),
        ("Issue", "labels"): ("IssueLabel", lambda e: [d.labels[x] for x in e["_labels"]]),
        ("Issue", "needs"): ("CustomerNeed", lambda e: [d.needs[x] for x in e["_needs"]]),
        ("Issue", "children"): issues_where("_parent"),
        ("Issue", "subscribers"): none("User"),
        ("Issue", "sharedWith"): none("User"),
        ("Team", "issues"): issues_where("_team"),
        ("Team", "members"): ("User", lambda _e: list(d.users.values())),  # every user is in every team
        ("Team", "users"): ("User", lambda _e: list(d.users.values())),
        ("Team", "owners"): none("User"),
        ("WorkflowState", "issues"): issues_where("_state"),
        ("Cycle", "issues"): issues_where("_cycle"),
        ("Project", "issues"): issues_where("_project"),
        ("Project", "members"): none("User"),
        ("Project", "needs"): none("CustomerNeed"),
        ("User", "assignedIssues"): issues_where("_assignee"),
        ("Customer", "needs"): (
            "CustomerNeed",
            lambda e: [n for n in d.needs.values() if n["_customer"] == e["id"]],
        ),
        ("Comment", "needs"): none("CustomerNeed"),
    }
