"""The Linear normaliser on payloads shaped like connectors/linear/*.graphql selections (pure, no I/O)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.errors import SkippableError
from connectors.linear import LinearConfig, LinearConnector
from connectors.linear.connector import RUN_BATCH
from sync.model import Item

ISSUE: dict[str, Any] = {
    "id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d",
    "identifier": "ENG-42",
    "title": "Fix login flow",
    "description": "Reported in https://acme.zendesk.com/agent/tickets/123 and on Jira.",
    "url": "https://linear.app/acme/issue/ENG-42",
    "priority": 2,
    "priorityLabel": "High",
    "estimate": 3,
    "dueDate": "2025-09-30",
    "sortOrder": -1234.5678,
    "createdAt": "2025-06-01T10:00:00.000Z",
    "updatedAt": "2025-06-03T12:30:00.250+02:00",
    "archivedAt": None,
    "trashed": None,
    "state": {"id": "st-1", "name": "In Progress", "type": "started"},
    "team": {"id": "t-1", "key": "ENG"},
    "project": {"id": "p-1", "name": "Q3 auth"},
    "parent": {"id": "parent-1"},
    "cycle": {
        "id": "c-1",
        "number": 7,
        "name": "Cycle 7",
        "startsAt": "2025-06-01T00:00:00.000Z",
        "endsAt": "2025-06-15T00:00:00.000Z",
    },
    "assignee": {"email": "ada@example.com"},
    "creator": {"email": "grace@example.com"},
    "labels": {"nodes": [{"name": "Security"}, {"name": "Bug"}]},
    "attachments": {
        "nodes": [
            {
                "id": "a-1",
                "url": "https://acme.atlassian.net/browse/PROJ-7",
                "title": "PROJ-7",
                "sourceType": "jira",
            },
            {
                "id": "a-2",
                "url": "https://github.com/acme/app/issues/12",
                "title": "#12",
                "sourceType": "github",
            },
            {
                "id": "a-3",
                "url": "https://acme.zendesk.com/agent/tickets/123",
                "title": "t",
                "sourceType": "zendesk",
            },
            {"id": "a-4", "url": "https://figma.com/file/abc", "title": "design", "sourceType": "figma"},
        ]
    },
}


def connector(**overrides: Any) -> LinearConnector:
    return LinearConnector("lin", LinearConfig(api_key="k", teams=["ENG"], **overrides))


def one_item(payload: dict[str, Any], stream: str = "issues", **overrides: Any) -> Item:
    records = connector(**overrides).normalize(stream, payload)
    return records.items[0]


def test_issue_maps_every_field() -> None:
    records = connector().normalize("issues", ISSUE)
    item = records.items[0]
    assert item.uid == "lin:9cfb482a-81e3-4154-b5b9-2c805e70a02d" and item.key == "ENG-42"
    assert (item.kind, item.source, item.container) == ("issue", "linear", "ENG")
    assert (item.status, item.status_id, item.status_category) == ("In Progress", "st-1", "in_progress")
    assert (item.priority, item.priority_level) == ("High", 2)
    assert item.labels == ["Bug", "Security"]
    assert item.parent_uid == "lin:parent-1"
    assert (item.estimate, item.due_date) == (3.0, "2025-09-30")
    assert item.updated_at == "2025-06-03T10:30:00.250Z"  # converted to UTC
    assert item.native_rank == repr(-1234.5678)
    assert connector().order_key(item) == -1234.5678
    assert item.fields["project"] == "Q3 auth" and item.fields["cycle"]["number"] == 7
    assert item.fields["priority"] == 2
    assert (item.assignee, item.requester, item.deleted) == ("ada@example.com", "grace@example.com", False)


def test_issue_links_project_and_other_trackers() -> None:
    links = {
        (link.type, link.origin, link.dst_uid or link.dst_ref)
        for link in connector().normalize("issues", ISSUE).links
    }
    assert ("parent", "api", "lin:p-1") in links
    assert ("relates", "api", "url:https://acme.atlassian.net/browse/PROJ-7") in links
    assert ("relates", "api", "url:https://github.com/acme/app/issues/12") in links
    assert ("relates", "api", "url:https://acme.zendesk.com/agent/tickets/123") in links
    assert not any("figma" in str(target) for _, _, target in links)
    assert len(links) == 4  # the description's Zendesk URL is the attachment's: one link


@pytest.mark.parametrize(
    ("state_type", "category"),
    [
        ("triage", "triage"),
        ("backlog", "backlog"),
        ("unstarted", "todo"),
        ("started", "in_progress"),
        ("completed", "done"),
        ("canceled", "canceled"),
        ("duplicate", "canceled"),
    ],
)
def test_state_types_map_to_categories(state_type: str, category: str) -> None:
    payload = copy.deepcopy(ISSUE)
    payload["state"]["type"] = state_type
    assert one_item(payload).status_category == category


def test_status_map_by_state_name_overrides() -> None:
    assert one_item(ISSUE, status_map={"In Progress": "todo"}).status_category == "todo"


@pytest.mark.parametrize("change", [{"archivedAt": "2025-07-01T00:00:00.000Z"}, {"trashed": True}])
def test_archived_and_trashed_issues_are_deleted(change: dict[str, Any]) -> None:
    assert one_item({**ISSUE, **change}).deleted


@pytest.mark.parametrize(
    "change",
    [
        {"state": None},
        {"priority": 7},
        {"dueDate": "soon"},
        {"createdAt": "garbage"},
        {"sortOrder": "x"},
        {"team": {}},
    ],
)
def test_malformed_issue_is_skippable(change: dict[str, Any]) -> None:
    with pytest.raises(SkippableError, match="ENG-42"):
        connector().normalize("issues", {**ISSUE, **change})


def test_project_is_an_epic() -> None:
    payload = {
        "id": "p-1",
        "name": "Q3 auth",
        "slugId": "q3-auth-1a2b",
        "url": "https://linear.app/acme/project/q3",
        "description": "",
        "priority": 1,
        "sortOrder": 10.0,
        "startDate": "2025-06-01",
        "targetDate": "2025-09-30",
        "createdAt": "2025-05-01T00:00:00.000Z",
        "updatedAt": "2025-05-02T00:00:00.000Z",
        "archivedAt": None,
        "status": {"name": "Planned", "type": "planned"},
        "teams": {"nodes": [{"key": "ENG"}]},
    }
    item = one_item(payload, "projects")
    assert (item.uid, item.kind, item.key, item.status_category) == (
        "lin:p-1",
        "epic",
        "q3-auth-1a2b",
        "todo",
    )
    assert (item.container, item.due_date, item.priority_level) == ("ENG", "2025-09-30", 1)


def test_customer_record() -> None:
    payload = {
        "id": "cu-1",
        "name": "Acme",
        "revenue": 120000,
        "size": 250.0,
        "updatedAt": "2025-05-02T00:00:00Z",
        "archivedAt": None,
        "tier": {"name": "enterprise"},
    }
    customer = connector().normalize("customers", payload).customers[0]
    assert (customer.uid, customer.name, customer.tier, customer.arr, customer.size) == (
        "lin:cu-1",
        "Acme",
        "enterprise",
        120000.0,
        250,
    )


def test_customer_need_is_feedback_requesting_the_issue() -> None:
    payload = {
        "id": "n-1",
        "body": "We need SSO\nbefore renewal",
        "priority": 1,
        "url": None,
        "createdAt": "2025-05-01T00:00:00Z",
        "updatedAt": "2025-05-02T00:00:00Z",
        "archivedAt": None,
        "customer": {"id": "cu-1", "name": "Acme"},
        "creator": {"email": "csm@example.com"},
        "attachment": {"url": "https://acme.zendesk.com/agent/tickets/9"},
        "issue": {"id": "i-1", "identifier": "ENG-1", "state": {"type": "started"}},
    }
    records = connector().normalize("customer_needs", payload)
    need = records.items[0]
    assert (need.uid, need.kind, need.title, need.organization) == (
        "lin:n-1",
        "feedback",
        "We need SSO",
        "lin:cu-1",
    )
    assert (need.requester, need.status_category, need.priority_level) == ("csm@example.com", "todo", 2)
    links = {(link.type, link.dst_uid or link.dst_ref) for link in records.links}
    assert links == {("requests", "lin:i-1"), ("mirrors", "url:https://acme.zendesk.com/agent/tickets/9")}


def test_a_team_keeps_its_states_in_order_and_its_cycle_length() -> None:
    states = {"nodes": [
        {"name": "Done", "type": "completed", "position": 3},
        {"name": "Icebox", "type": "backlog", "position": 0},
        {"name": "Doing", "type": "started", "position": 1.5},
    ]}  # fmt: skip
    team = {"id": "t-1", "key": "ENG", "name": "Engineering", "states": states}
    records = connector().normalize("teams", {**team, "cyclesEnabled": True, "cycleDuration": 2})
    assert records.items == [] and len(records.teams) == 1
    kept = records.teams[0]
    assert (kept.uid, kept.container, kept.name, kept.cycle_weeks) == ("lin:t-1", "ENG", "Engineering", 2.0)
    assert kept.states == (("Icebox", "backlog"), ("Doing", "in_progress"), ("Done", "done"))
    # a team that plans without cycles has no cycle length, whatever cycleDuration says
    assert (
        connector()
        .normalize("teams", {**team, "cyclesEnabled": False, "cycleDuration": 1})
        .teams[0]
        .cycle_weeks
        is None
    )
    with pytest.raises(SkippableError):
        connector().normalize("teams", {"id": "t-2", "key": "DES"})  # no name


def test_a_cycle_keeps_its_team_dates_and_completion() -> None:
    cycle = {
        "id": "c-1", "number": 4, "name": None, "team": {"key": "ENG"},
        "startsAt": "2026-11-30T08:00:00+00:00", "endsAt": "2026-12-14T08:00:00.000Z",
        "completedAt": None, "updatedAt": "2026-11-30T08:00:00.000Z",
        "archivedAt": "2026-12-01T00:00:00.000Z",
    }  # fmt: skip
    kept = connector().normalize("cycles", cycle).cycles[0]
    assert (kept.container, kept.number, kept.name, kept.completed_at, kept.deleted) == (
        "ENG",
        4,
        None,
        None,
        True,
    )
    assert (kept.starts_at, kept.ends_at) == ("2026-11-30T08:00:00.000Z", "2026-12-14T08:00:00.000Z")
    with pytest.raises(SkippableError):
        connector().normalize("cycles", {"id": "c-2", "number": 1, "team": {"key": "ENG"}})  # no dates


def test_priority_is_written_only_when_the_connection_says_so() -> None:
    assert LinearConnector("l", LinearConfig(api_key="k")).writable_fields() == set()
    chosen = LinearConnector("l", LinearConfig(api_key="k", priority_by_rank=[0.05, 0.15, 0.3]))
    assert chosen.writable_fields() == {"priority"}


@pytest.mark.parametrize(
    ("shares", "message"),
    [([0.5, 0.6], "more than the whole"), ([1.5], "neither a fraction"), ([-0.1], "neither a fraction")],
)
def test_priority_shares_are_fractions_or_counts(shares: list[float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LinearConfig(api_key="k", priority_by_rank=shares)


def test_score_bands_are_refused_with_the_replacement_named() -> None:
    with pytest.raises(ValidationError, match="use priority_by_rank"):
        LinearConfig.model_validate({"api_key": "k", "priority_bands": [80, 60, 40]})


def test_scope_is_the_team_for_open_issues_only() -> None:
    c = connector()
    item = one_item(ISSUE)
    assert c.scope_of(item) == "ENG"
    payload = copy.deepcopy(ISSUE)
    payload["state"]["type"] = "completed"
    assert c.scope_of(one_item(payload)) is None
    payload = copy.deepcopy(ISSUE)
    payload["team"]["key"] = "OPS"
    assert c.scope_of(one_item(payload)) is None
    assert [s.name for s in c.scopes()] == ["ENG"] and c.scopes()[0].max_batch == RUN_BATCH


def test_our_report_attachment_is_the_report_field_and_no_tracker_link() -> None:
    page = "https://reports.example.com/items/lin/ENG-42.html"
    linked = {**ISSUE, "reportLink": {"nodes": [{"url": page}]}}
    records = connector(report_attachment="Ranking report").normalize("issues", linked)
    assert records.items[0].fields["report"] == page
    assert not any(page in str(link.dst_ref) for link in records.links)
    assert "report" not in one_item({**ISSUE, "reportLink": {"nodes": []}}).fields  # none written yet
    assert "report" in connector(report_attachment="Ranking report").writable_fields()
    assert "report" not in connector().writable_fields()  # a link only where the connection names one


def test_the_pull_asks_again_for_issues_whose_report_link_changed() -> None:
    from connectors.linear.client import document
    from connectors.linear.normalize import REPORT_SUBTITLE
    from connectors.linear.streams import STREAMS, build_filter

    config = LinearConfig(api_key="k", teams=["ENG"], index_lag=1.0)
    issues = build_filter(STREAMS["issues"], config, "2025-06-03T10:30:01.000Z")
    since = {"gt": "2025-06-03T10:30:00.000Z"}
    assert issues["or"] == [
        {"updatedAt": since},
        {"attachments": {"some": {"subtitle": {"eq": REPORT_SUBTITLE}, "updatedAt": since}}},
    ]
    assert issues["team"] == {"key": {"in": ["ENG"]}}
    assert f'subtitle: {{eq: "{REPORT_SUBTITLE}"}}' in document("issues")  # the pull selects ours
    assert "or" not in build_filter(STREAMS["cycles"], config, "2025-06-03T10:30:01.000Z")


def test_the_priority_a_person_set_is_read_from_the_history() -> None:
    from connectors.linear.normalize import priority_by_person

    ours, person = "u-bot", "u-pm"
    step = lambda at, who, old, new: {"createdAt": at, "actorId": who, "fromPriority": old, "toPriority": new}  # noqa: E731
    assert priority_by_person([], ours) is None  # never changed: the current value is a person's
    assert priority_by_person([step("1", person, 0, 2)], ours) is None
    assert priority_by_person([step("1", ours, 1.0, 4.0)], ours) == 1  # what our first write replaced
    later = [step("1", ours, 1.0, 4.0), step("2", person, 4.0, 3.0), step("3", ours, 3.0, 2.0)]
    assert priority_by_person(list(reversed(later)), ours) == 3  # the person's latest, in time order
    assert priority_by_person([step("1", ours, 1.0, 4.0)], None) is None  # our identity unknown
