"""The normaliser on the official examples and on hand-made payloads: pure, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.errors import SkippableError
from connectors.zendesk import ZendeskConfig, ZendeskConnector
from connectors.zendesk.mentions import MentionFinder
from tests.specs import spec_examples

CONFIG: dict[str, Any] = {
    "type": "zendesk",
    "url": "https://acme.zendesk.com",
    "email": "a@acme.test",
    "token": "t",
    "fields": {"linked_issue": "27642", "answer": "27648"},
    "link_field": "linked_issue",
}


def connector(**overrides: Any) -> ZendeskConnector:
    return ZendeskConnector("zd", ZendeskConfig.model_validate({**CONFIG, **overrides}))


@pytest.mark.parametrize(
    "name, collection",
    [
        ("TicketResponseExample", "ticket"),
        ("CursorBasedExportIncrementalTicketsResponseExample", "tickets"),
        ("TicketsResponseExample", "tickets"),
    ],
)
def test_official_examples_normalise(name: str, collection: str) -> None:
    for example in spec_examples("zendesk", name):
        payloads = example[collection] if isinstance(example[collection], list) else [example[collection]]
        for payload in payloads:
            records = connector().normalize("tickets", payload)
            item = records.items[0]
            assert item.uid == "zd:35436" and item.key == "#35436" and item.kind == "feedback"
            assert item.title == "Help, my printer is on fire!"
            assert item.status == "open" and item.status_category == "todo"
            assert item.priority_level == 2 and item.labels == ["enterprise", "other_tag"]
            assert item.organization == "zd:509974" and item.container == "98738"
            assert item.updated_at == "2011-05-05T10:38:52.000Z"
            assert item.created_at == "2009-07-20T22:55:29.000Z"
            assert item.url == "https://acme.zendesk.com/agent/tickets/35436"
            assert item.fields == {"linked_issue": "745", "answer": "yes"}
            # "745" in the link field is a bare value: kept as a key ref for the store to resolve (or not)
            assert [link.dst_ref for link in records.links] == ["key:745"]


def test_replay_reads_saved_exports() -> None:
    example = spec_examples("zendesk", "CursorBasedExportIncrementalTicketsResponseExample")[0]
    assert [stream for stream, _ in connector().replay(example)] == ["tickets"]
    orgs = spec_examples("zendesk", "ExportIncrementalOrganizationsResponseExample")[0]
    assert [stream for stream, _ in connector().replay(orgs)] == ["organizations"]


@pytest.mark.parametrize(
    "status, category",
    [
        ("new", "triage"),
        ("open", "todo"),
        ("pending", "in_progress"),
        ("hold", "in_progress"),
        ("solved", "done"),
        ("closed", "done"),
        ("deleted", "canceled"),
    ],
)
def test_status_categories(status: str, category: str) -> None:
    payload = {"id": 1, "status": status, "updated_at": "2026-01-02T03:04:05Z"}
    item = connector().normalize("tickets", payload).items[0]
    assert item.status_category == category
    assert item.deleted == (status == "deleted")


def test_status_map_overrides_by_native_name() -> None:
    payload = {"id": 1, "status": "open", "updated_at": "2026-01-02T03:04:05Z"}
    assert (
        connector(status_map={"open": "backlog"}).normalize("tickets", payload).items[0].status_category
        == "backlog"
    )


def test_sideloads_give_names_and_customers() -> None:
    payload = {
        "id": 7,
        "status": "hold",
        "updated_at": "2026-01-02T03:04:05+02:00",
        "requester_id": 5,
        "organization_id": 9,
        "group_id": 3,
        "subject": "Broken export",
        "description": "",
        "tags": [],
        "_sideloaded": {
            "requester": {"id": 5, "name": "Ana Ng"},
            "group": {"id": 3, "name": "Escalations"},
            "organization": {
                "id": 9,
                "name": "Globex",
                "organization_fields": {"tier": "enterprise", "arr": "250000", "size": 1200},
            },
        },
    }
    records = connector().normalize("tickets", payload)
    item = records.items[0]
    assert (item.requester, item.container, item.organization) == ("Ana Ng", "Escalations", "zd:9")
    assert item.updated_at == "2026-01-02T01:04:05.000Z"
    assert [(c.uid, c.tier, c.arr, c.size) for c in records.customers] == [
        ("zd:9", "enterprise", 250000.0, 1200)
    ]


def test_organizations_read_configured_fields() -> None:
    payload = {"id": 4, "name": "Initech", "organization_fields": {"plan": "business", "revenue": 42000.5}}
    c = connector(organization_fields={"tier": "plan", "arr": "revenue", "size": "headcount"})
    customer = c.normalize("organizations", payload).customers[0]
    assert (customer.name, customer.tier, customer.arr, customer.size) == (
        "Initech",
        "business",
        42000.5,
        None,
    )


def test_jira_links_point_at_keys_or_issue_ids() -> None:
    payload = {"id": 3, "ticket_id": "5000", "issue_id": "5460", "issue_key": "TEST-5460"}
    link = connector().normalize("jira_links", payload).links[0]
    assert (link.src_uid, link.type, link.origin, link.dst_ref) == (
        "zd:5000",
        "requests",
        "api",
        "service:jira:TEST-5460",  # a Jira issue's key: resolved among Jira connections only
    )
    by_id = connector(jira_connection="jira").normalize("jira_links", payload).links[0]
    assert by_id.dst_ref == "uid:jira:5460"
    without_key = connector().normalize("jira_links", {**payload, "issue_key": None}).links[0]
    assert without_key.dst_ref == "native:jira:5460"  # by Jira's issue id, in whichever Jira connection


def test_links_from_field_and_text() -> None:
    payload = {
        "id": 8,
        "status": "open",
        "updated_at": "2026-01-02T03:04:05Z",
        "subject": "Login loop (ENG-12) and acme/web#4, see UTF-8 and ISO-8601",
        "description": "Like https://jira.acme.test/browse/OPS-3. Also "
        "https://github.com/acme/api/issues/77 and https://linear.app/acme/issue/DES-9/login-loop and "
        "https://status.acme.test/incidents/5",
        "custom_fields": [{"id": 27642, "value": "https://jira.acme.test/browse/OPS-4"}],
        "_comments": ["Engineering tracks this in PLAT-2"],
    }
    links = connector().normalize("tickets", payload).links
    by_origin = {(link.origin, link.dst_ref) for link in links}
    assert {ref for origin, ref in by_origin if origin == "field"} == {
        "url:https://jira.acme.test/browse/OPS-4"
    }
    text = sorted(ref for origin, ref in by_origin if origin == "text")
    assert text == sorted(
        [
            "key:ENG-12",
            "key:acme/web#4",
            "url:https://jira.acme.test/browse/OPS-3",
            "url:https://github.com/acme/api/issues/77",
            "key:acme/api#77",
            "url:https://linear.app/acme/issue/DES-9/login-loop",
            "url:https://linear.app/acme/issue/DES-9",
            "key:PLAT-2",
        ]
    )
    with_keys = {link.dst_ref for link in connector(url_keys=True).normalize("tickets", payload).links}
    assert {"key:OPS-3", "key:OPS-4", "key:DES-9"} <= with_keys


def test_mention_finder_prefixes_and_custom_patterns() -> None:
    finder = MentionFinder([r"ZD-BUG (?P<key>\d+)"], ["ENG"])
    refs = [m.ref for m in finder.find(["ENG-1 and OPS-2, ZD-BUG 77"])]
    assert refs == ["key:77", "key:ENG-1"]


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "open", "updated_at": "2026-01-02T03:04:05Z"},
        {"id": "x", "status": "open", "updated_at": "2026-01-02T03:04:05Z"},
        {"id": 1, "updated_at": "2026-01-02T03:04:05Z"},
        {"id": 1, "status": "open", "updated_at": "not a date"},
        {"id": 1, "status": "open", "updated_at": "2026-01-02T03:04:05Z", "tags": "a,b"},
        {"id": 1, "status": "open", "updated_at": "2026-01-02T03:04:05Z", "custom_fields": ["x"]},
    ],
)
def test_malformed_tickets_are_skippable(payload: dict[str, Any]) -> None:
    with pytest.raises(SkippableError):
        connector().normalize("tickets", payload)


def test_malformed_organizations_and_links_are_skippable() -> None:
    with pytest.raises(SkippableError):
        connector().normalize("organizations", {"id": 1, "name": "X", "organization_fields": {"arr": "lots"}})
    with pytest.raises(SkippableError):
        connector().normalize("jira_links", {"id": 1, "ticket_id": None, "issue_key": "A-1"})


def test_config_rejects_field_titles_and_bad_targets() -> None:
    with pytest.raises(ValueError, match="numeric custom ticket field id"):
        ZendeskConfig.model_validate({**CONFIG, "fields": {"rank": "Engineering rank"}})
    with pytest.raises(ValueError, match="status_targets"):
        ZendeskConfig.model_validate({**CONFIG, "status_targets": {"done": "closed"}})
