"""The Jira normaliser on hand-made payloads (v3 ADF and v2 text) and on the official spec examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import SkippableError
from connectors.jira.normalize import normalize_issue, search_fields
from connectors.jira.streams import incremental_jql, read_cursor
from connectors.jira.text import adf_to_text, references
from sync.model import Link, Records
from tests.jira.payloads import BASE, RICH_ADF, config, issue, status
from tests.specs import openapi


def normalize(payload: dict[str, Any], **overrides: Any) -> Records:
    return normalize_issue(payload, connection="jira", config=config(**overrides))


def test_v3_issue_maps_every_field() -> None:
    item = normalize(issue()).items[0]
    assert (item.uid, item.native_id, item.key, item.source) == ("jira:10042", "10042", "ENG-42", "jira")
    assert item.kind == "issue" and item.title == "Fix checkout on Safari"
    assert (item.status, item.status_category) == ("In Progress", "in_progress")
    assert (item.priority, item.priority_level) == ("High", 2)
    assert item.labels == ["customer", "security"] and item.container == "ENG"
    assert item.parent_uid == "jira:10007"
    assert (item.assignee, item.requester) == ("Ada Lovelace", "Grace Hopper")
    assert item.created_at == "2025-12-01T09:00:00.000Z"
    assert item.updated_at == "2026-01-02T08:30:15.250Z"
    assert (item.estimate, item.due_date, item.native_rank) == (5.0, "2026-02-01", "0|i0004t:")
    assert item.fields == {"Team": "Payments", "score": 12.5}
    assert item.url == f"{BASE}/browse/ENG-42"


def test_adf_description_becomes_plain_text() -> None:
    text = adf_to_text(RICH_ADF)
    assert text.splitlines() == [
        "Context",
        "",
        "Checkout fails for @Ada Lovelace on Safari.",
        "Ticket (https://acme.zendesk.com/agent/tickets/812)",
        "",
        "- see acme/app#12",
        "- https://linear.app/acme/issue/DES-4/crash",
        "",
        "TypeError: undefined",
    ]
    assert normalize(issue()).items[0].body == text


def test_v2_string_description_is_kept() -> None:
    item = normalize(issue(description="h2. Context\n\nPlain *wiki* text")).items[0]
    assert item.body == "h2. Context\n\nPlain *wiki* text"
    assert normalize(issue(description=None)).items[0].body == ""


@pytest.mark.parametrize(
    ("name", "key", "resolution", "expected"),
    [
        ("To Do", "new", None, "todo"),
        ("Backlog", "new", None, "backlog"),  # status_map by name wins
        ("In Review", "indeterminate", None, "in_progress"),
        ("Done", "done", {"name": "Done"}, "done"),
        ("Done", "done", {"name": "Won't Do"}, "canceled"),
        ("Closed", "done", {"name": "Duplicate"}, "canceled"),
        ("Closed", "done", {"name": "Cannot Reproduce"}, "canceled"),
        ("Won't Do", "done", None, "canceled"),  # the configured canceled status
    ],
)
def test_status_category(name: str, key: str, resolution: Any, expected: str) -> None:
    item = normalize(issue(status=status(name, key), resolution=resolution)).items[0]
    assert item.status_category == expected


def test_canceled_resolutions_and_priorities_are_configurable() -> None:
    payload = issue(status=status("Closed", "done"), resolution={"name": "Obsolete"})
    assert normalize(payload).items[0].status_category == "done"
    assert normalize(payload, canceled_resolutions=["Obsolete"]).items[0].status_category == "canceled"
    assert normalize(issue(), priority_levels={"High": 1}).items[0].priority_level == 1


def test_epic_kind_and_parent_links() -> None:
    epic = normalize(issue(issuetype={"name": "Epic", "hierarchyLevel": 1}, parent=None))
    assert epic.items[0].kind == "epic" and epic.items[0].parent_uid is None
    assert not [link for link in epic.links if link.type == "parent"]
    by_id = normalize(issue()).links
    assert Link("jira:10042", "parent", "api", dst_uid="jira:10007") in by_id
    by_key = normalize(issue(parent={"key": "ENG-7"}))
    assert by_key.items[0].parent_uid is None
    assert Link("jira:10042", "parent", "api", dst_ref="key:ENG-7") in by_key.links


def test_text_mentions_become_relates_refs() -> None:
    refs = {link.dst_ref for link in normalize(issue()).links if link.origin == "text"}
    assert refs == {
        "url:https://acme.zendesk.com/agent/tickets/812",
        "url:https://linear.app/acme/issue/DES-4/crash",
        "key:acme/app#12",
    }
    text = "Dup of OPS-3 (see https://github.com/acme/app/issues/9). Also ENG-42, PLAT-7."
    assert references(text, own_key="ENG-42") == [
        "url:https://github.com/acme/app/issues/9",
        "key:OPS-3",
        "key:PLAT-7",
    ]


def test_issue_links_from_the_api() -> None:
    links = [
        {"type": {"name": "Duplicate"}, "outwardIssue": {"id": "10003", "key": "ENG-3"}},
        {"type": {"name": "Relates"}, "inwardIssue": {"key": "OPS-9"}},
    ]
    records = normalize(issue(issuelinks=links))
    assert Link("jira:10042", "duplicates", "api", dst_uid="jira:10003") in records.links
    assert Link("jira:10042", "relates", "api", dst_ref="key:OPS-9") in records.links
    # An inward link is written from its source, as the source's own outward listing writes it: one row.
    inward = [{"type": {"name": "Duplicate"}, "inwardIssue": {"id": "10077", "key": "ENG-77"}}]
    seen_here = normalize(issue(issuelinks=inward)).links
    assert Link("jira:10077", "duplicates", "api", dst_uid="jira:10042") in seen_here


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "1", "fields": {"updated": "2026-01-01T00:00:00.000+0000"}},  # no key
        {"id": "1", "key": "ENG-1", "fields": "nope"},
        {"id": "1", "key": "ENG-1", "fields": {"summary": "no updated"}},
        {"id": "1", "key": "ENG-1", "fields": {"updated": "yesterday-ish"}},
        {"id": "1", "key": "ENG-1", "fields": {"updated": "2026-01-01T00:00:00.000+0000", "status": "Open"}},
        ["not", "an", "object"],
    ],
)
def test_malformed_payloads_are_skippable(payload: Any) -> None:
    with pytest.raises(SkippableError):
        normalize(payload)


def _spec_example(path: str, method: str = "get") -> Any:
    operation = openapi("jira", "platform")["paths"][path][method]
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    return json.loads(example) if isinstance(example, str) else example


@pytest.mark.parametrize("path", ["/rest/api/3/search/jql", "/rest/api/3/search"])
def test_official_search_examples_normalise(path: str) -> None:
    for payload in _spec_example(path)["issues"]:
        records = normalize(payload)
        item = records.items[0]
        assert (item.key, item.native_id, item.container) == ("ED-1", "10002", "EX")
        assert item.body == "Main order flow broken"
        assert item.updated_at == "1970-01-01T00:00:00.001Z"  # the example's "updated": 1 (epoch ms)
        # its issuelinks: outward to 10004L, and inward from 10004, written from that source
        assert {(link.src_uid, link.dst_uid) for link in records.links} == {
            ("jira:10002", "jira:10004L"),
            ("jira:10004", "jira:10002"),
        }


def test_official_issue_example_normalises() -> None:
    item = normalize(_spec_example("/rest/api/3/issue/{issueIdOrKey}")).items[0]
    assert item.key == "ED-1" and item.body == "Main order flow broken"
    assert item.status_category == "todo"  # no status in the example: Jira's "new"


def test_search_asks_for_exactly_the_mapped_fields() -> None:
    fields = search_fields(config())
    assert "*all" not in fields and len(fields) == len(set(fields))
    assert {"customfield_10019", "customfield_10016", "customfield_10050", "customfield_10061"} <= set(fields)


def test_incremental_jql_floors_the_cursor_to_the_minute_in_the_user_zone() -> None:
    assert incremental_jql(config(), None, "UTC") == "(project = ENG) ORDER BY updated ASC"
    since, tags = read_cursor("2026-01-02T08:30:59.999Z[Pacific/Auckland][epic-link=customfield_10014]")
    assert since == datetime(2026, 1, 2, 8, 30, 59, 999000, tzinfo=UTC)
    assert tags == {"zone": "Pacific/Auckland", "epic-link": "customfield_10014"}
    assert incremental_jql(config(), since, "UTC") == (
        '(project = ENG) AND updated >= "2026-01-02 08:30" ORDER BY updated ASC'
    )
    assert '"2026-01-02 21:30"' in incremental_jql(config(), since, "Pacific/Auckland")  # +13:00 in January
    assert '"2026-01-02 00:30"' in incremental_jql(config(), since, "America/Los_Angeles")  # -08:00
    july = datetime(2026, 7, 2, 8, 30, tzinfo=UTC)
    assert '"2026-07-02 01:30"' in incremental_jql(config(), july, "America/Los_Angeles")  # DST: -07:00
    assert read_cursor("2026-01-02T08:30:59.999Z") == (since, {})  # written before zones: asks again


def test_config_rejects_bad_tables() -> None:
    with pytest.raises(ValueError, match="email"):
        config(email=None)
    with pytest.raises(ValueError, match="ORDER BY"):
        config(jql="project = ENG ORDER BY Rank")
    with pytest.raises(ValueError, match="customfield"):
        config(rank_field="Rank")
    with pytest.raises(ValueError, match="time zone"):
        config(timezone="Mars/Olympus")
    assert config(deployment="datacenter", email=None).api_version == "2"
