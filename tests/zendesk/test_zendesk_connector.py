"""The Zendesk connector against its emulator over real HTTP: pulls, writes, verify, limits and errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Page
from connectors.errors import AuthError, RateLimited, SkippableError
from connectors.zendesk import ZendeskConnector
from sandbox.zendesk import ZendeskEmulator
from sync.model import Op, Records
from tests.specs import assert_documented_calls

Make = Callable[..., ZendeskConnector]


def pull_all(
    connector: ZendeskConnector, stream: str, cursor: str | None = None
) -> tuple[list[Page], str | None]:
    pages = list(connector.pull(stream, cursor, datetime.now(UTC)))
    for page in pages:
        if page.cursor is not None:
            cursor = page.cursor
    return pages, cursor


def normalize_all(connector: ZendeskConnector, stream: str, pages: list[Page]) -> Records:
    records = Records()
    for page in pages:
        for payload in page.payloads:
            records.extend(connector.normalize(stream, payload))
    return records


def op(kind: str, payload: dict[str, Any]) -> Op:
    return Op("zd", kind, "", payload, {}, "test", f"{kind}:{sorted(payload.items())}")


def open_ids(emulator: ZendeskEmulator, count: int) -> list[str]:
    return [
        str(t.id)
        for t in sorted(emulator.data.tickets.values(), key=lambda t: t.id)
        if t.status in ("new", "open", "pending")
    ][:count]


def test_first_pull_then_noop_costs_one_request_per_stream(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    cursors: dict[str, str | None] = {}
    records = Records()
    for stream in connector.streams():
        pages, cursors[stream] = pull_all(connector, stream)
        records.extend(normalize_all(connector, stream, pages))
    state = emulator.state()
    assert sorted(i.key for i in records.items) == sorted(i["key"] for i in state["items"])
    assert {c.uid for c in records.customers} == {f"zd:{o['native_id']}" for o in state["organizations"]}
    api_links = {(link.src_uid, link.dst_ref) for link in records.links if link.origin == "api"}
    assert api_links == {
        (f"zd:{link['ticket_id']}", f"service:jira:{link['issue_key']}") for link in state["jira_links"]
    }
    assert all(i.requester and not i.requester.isdigit() for i in records.items)  # names from side-loads
    for stream in connector.streams():
        before = connector.request_count()
        pages, _ = pull_all(connector, stream, cursors[stream])
        assert connector.request_count() - before == 1, stream
        if stream != "organizations":  # the time-based export's start is closed: it re-reads its last second
            assert sum(len(p.payloads) for p in pages) == 0, stream


def test_incremental_pull_returns_only_what_changed(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    _, cursor = pull_all(connector, "tickets")
    target = open_ids(emulator, 1)[0]
    emulator.edit({"key": f"#{target}", "set": {"title": "Changed by a person"}})
    pages, _ = pull_all(connector, "tickets", cursor)
    items = normalize_all(connector, "tickets", pages).items
    assert [(i.native_id, i.title) for i in items] == [(target, "Changed by a person")]


def test_export_pacer_keeps_under_the_export_budget(make_connector: Make, emulator: ZendeskEmulator) -> None:
    emulator._set_faults({"export_per_minute": 2, "export_window": 0.5})
    connector = make_connector(page_size=5, export_per_minute=2, export_window=0.5)
    started = time.monotonic()
    pages, _ = pull_all(connector, "tickets")
    assert len(pages) == 5 and time.monotonic() - started >= 0.9
    assert [r["status"] for r in emulator.log] == [200] * 5


def test_export_429_is_retried_after_retry_after(make_connector: Make, emulator: ZendeskEmulator) -> None:
    emulator._set_faults({"export_per_minute": 1, "export_window": 1})
    connector = make_connector(page_size=10)
    pages, _ = pull_all(connector, "tickets")
    assert sum(len(p.payloads) for p in pages) == 24
    assert 429 in [r["status"] for r in emulator.log] and connector.policy.retries >= 1


def test_server_errors_and_dropped_connections_are_retried(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    emulator._set_faults({"error_rate": 0.5, "drop_rate": 0.5, "remaining": 4, "seed": 2})
    pages, _ = pull_all(connector, "jira_links")
    assert pages and pages[0].payloads
    assert connector.policy.retries == 4
    assert {r["status"] for r in emulator.log} == {0, 500, 200}


def test_truncated_bodies_are_retried(connector: ZendeskConnector, emulator: ZendeskEmulator) -> None:
    emulator._set_faults({"malformed_rate": 0.5, "seed": 4})
    pages, _ = pull_all(connector, "jira_links")
    assert pages and pages[0].payloads and connector.policy.retries >= 1


def test_retry_after_longer_than_we_may_wait_stops_with_rate_limited(
    make_connector: Make, emulator: ZendeskEmulator
) -> None:
    emulator._set_faults({"rate_limit_rate": 1.0, "retry_after": 30, "remaining": 1})
    connector = make_connector(policy={"base_wait": 0.01, "max_wait": 2.0})
    with pytest.raises(RateLimited) as caught:
        pull_all(connector, "tickets")
    assert caught.value.retry_after == 30 and "APIRateLimitExceeded" in str(caught.value)


def test_bad_token_is_an_auth_error_without_the_secret(make_connector: Make) -> None:
    connector = make_connector(token="wrong-secret-value")
    with pytest.raises(AuthError) as caught:
        pull_all(connector, "tickets")
    assert "401" in str(caught.value) and "wrong-secret-value" not in str(caught.value)
    assert connector.request_count() == 1  # not retried


def test_malformed_ticket_is_skippable(connector: ZendeskConnector, emulator: ZendeskEmulator) -> None:
    target = open_ids(emulator, 1)[0]
    emulator.edit({"key": f"#{target}", "raw": {"updated_at": None}})
    pages, _ = pull_all(connector, "tickets")
    payload = next(p for page in pages for p in page.payloads if str(p["id"]) == target)
    with pytest.raises(SkippableError):
        connector.normalize("tickets", payload)


def test_field_status_and_comment_writes_then_verify(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    first, second, third = open_ids(emulator, 3)
    ops = [
        op("field", {"item": first, "field": "rank", "value": 4}),
        op("field", {"item": first, "field": "score", "value": 12.5}),
        op("field", {"item": second, "field": "linked_status", "value": "in_progress"}),
        op("status", {"item": second, "category": "in_progress", "reason": "Engineering started"}),
        op("status", {"item": third, "category": "done"}),
        op("comment", {"item": third, "body": "Shipped in 4.2", "public": True}),
    ]
    assert set(connector.verify(ops).values()) == {False}
    for each in ops:
        result = connector.apply(each)
        assert result.ok, result.detail
    assert set(connector.verify(ops).values()) == {True}
    state = {i["native_id"]: i for i in emulator.state()["items"]}
    assert state[first]["fields"]["rank"] == "4" and state[second]["status"] == "hold"
    assert state[third]["status"] == "solved" and state[third]["comments"][-1] == "Shipped in 4.2"
    assert "Engineering started" in state[second]["comments"]
    pages, _ = pull_all(connector, "tickets")
    fields = {i.native_id: i.fields for i in normalize_all(connector, "tickets", pages).items}
    assert fields[first]["rank"] == "4" and fields[second]["linked_status"] == "in_progress"
    assert connector.writable_fields() == {"score", "rank", "linked_status", "linked_key", "report"}


def test_fields_of_many_tickets_go_in_one_batch_job_and_a_closed_ticket_fails_alone(
    make_connector: Make, emulator: ZendeskEmulator
) -> None:
    emulator._set_faults({"job_polls": 2})  # the job is queued twice before it completes
    connector = make_connector()
    first, second = open_ids(emulator, 2)
    closed = next(str(t.id) for t in emulator.data.tickets.values() if t.status == "closed")
    values = {
        first: {"rank": 3, "score": 1.25, "linked_key": "jira:ENG-1", "linked_status": "todo"},
        second: {"rank": None, "linked_status": "done"},
        closed: {"rank": 9},
    }
    emulator.edit({"key": f"#{second}", "set": {"rank": "7"}})
    fields = op("fields", {"items": values})
    emulator.log.clear()
    result = connector.apply(fields)
    assert not result.ok and set(result.failed) == {closed} and "closed" in result.failed[closed]
    writes = [r for r in emulator.log if r["mutating"]]
    assert [(r["method"], r["path"]) for r in writes] == [("PUT", "/api/v2/tickets/update_many")]
    polls = [r for r in emulator.log if r["path"].startswith("/api/v2/job_statuses/")]
    assert len(polls) >= 2
    state = {i["native_id"]: i for i in emulator.state()["items"]}
    assert state[first]["fields"]["rank"] == "3" and state[first]["fields"]["linked_key"] == "jira:ENG-1"
    assert "rank" not in state[second]["fields"]  # cleared
    shown = op("fields", {"items": {k: v for k, v in values.items() if k != closed}})
    assert connector.verify([shown, fields]) == {shown.key: True, fields.key: False}


def test_tags_are_added_through_a_job_without_replacing_tags(
    make_connector: Make, emulator: ZendeskEmulator
) -> None:
    emulator._set_faults({"job_polls": 2})
    connector = make_connector()
    ids = open_ids(emulator, 3)
    emulator.edit({"key": f"#{ids[0]}", "set": {"labels": ["vip"]}})
    tags = op("tags", {"items": [*ids, "99999"], "tags": ["rb-top10"]})
    result = connector.apply(tags)
    assert not result.ok and set(result.failed) == {"99999"}
    state = {i["native_id"]: i for i in emulator.state()["items"]}
    assert set(state[ids[0]]["labels"]) == {"vip", "rb-top10"}
    assert connector.verify([op("tags", {"items": ids, "tags": ["rb-top10"]})]) == {
        op("tags", {"items": ids, "tags": ["rb-top10"]}).key: True
    }
    polls = [r for r in emulator.log if r["path"].startswith("/api/v2/job_statuses/")]
    assert len(polls) == 2


def test_rank_ops_and_unknown_fields(connector: ZendeskConnector) -> None:
    assert connector.scopes() == []
    assert not connector.apply(op("rank", {"items": ["1"], "after": None, "before": None, "ranks": {}})).ok
    result = connector.apply(op("field", {"item": "101", "field": "effort", "value": 3}))
    assert not result.ok and "no custom field configured" in result.detail
    assert result.failed == {"101": result.detail}


def test_rejected_write_fails_alone_with_zendesk_text(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    closed = next(str(t.id) for t in emulator.data.tickets.values() if t.status == "closed")
    result = connector.apply(op("status", {"item": closed, "category": "todo"}))
    assert not result.ok and "422 RecordInvalid" in result.failed[closed] and "closed" in result.detail
    gone = connector.apply(op("comment", {"item": "99999", "body": "x", "public": False}))
    assert not gone.ok and "404 RecordNotFound" in gone.detail


def test_comments_are_read_for_mentions_when_configured(
    make_connector: Make, emulator: ZendeskEmulator
) -> None:
    target = open_ids(emulator, 1)[0]
    plain = make_connector()
    plain.apply(
        op(
            "comment",
            {"item": target, "body": "Tracked as https://linear.app/acme/issue/DES-77/x", "public": False},
        )
    )
    connector = make_connector(comments=True)
    pages, _ = pull_all(connector, "tickets")
    live = [t for t in emulator.data.tickets.values() if t.status != "deleted"]
    assert len(live) < len(emulator.data.tickets)  # the export lists deleted tickets; no comments read
    assert connector.request_count() == 1 + len(live)
    links = normalize_all(connector, "tickets", pages).links
    assert ("text", "url:https://linear.app/acme/issue/DES-77") in {
        (link.origin, link.dst_ref) for link in links if link.src_uid == f"zd:{target}"
    }


def test_check_reports_user_budget_and_fields(connector: ZendeskConnector) -> None:
    report = connector.check()
    assert report["auth"] == "ok" and report["user"] == "admin@example.com"
    assert report["rate_limit_remaining"] is not None and "MISSING" not in report["fields"].values()


def test_every_call_is_documented(make_connector: Make, emulator: ZendeskEmulator) -> None:
    connector = make_connector(comments=True)
    for stream in connector.streams():
        pull_all(connector, stream)
    first, second = open_ids(emulator, 2)
    ops = [
        op("field", {"item": first, "field": "rank", "value": 1}),
        op("status", {"item": first, "category": "in_progress"}),
        op("comment", {"item": second, "body": "note", "public": False}),
        op("tags", {"items": [first, second], "tags": ["rb"]}),
    ]
    for each in ops:
        connector.apply(each)
    connector.verify(ops)
    connector.check()
    assert_documented_calls("zendesk", emulator.log)
    paths = {r["path"] for r in emulator.log}
    assert {
        "/api/v2/incremental/tickets/cursor",
        "/api/v2/incremental/organizations",
        "/api/v2/jira/links",
        "/api/v2/tickets/update_many",
        "/api/v2/tickets/show_many",
    } <= paths


def test_forbidden_is_an_auth_error_with_zendesk_text(
    connector: ZendeskConnector, emulator: ZendeskEmulator
) -> None:
    emulator._set_faults({"error_rate": 1.0, "error_status": 403, "remaining": 1})
    with pytest.raises(AuthError, match="403 Forbidden: injected server error"):
        pull_all(connector, "jira_links")


def test_rate_limit_headers_feed_the_pacer(connector: ZendeskConnector, emulator: ZendeskEmulator) -> None:
    emulator._set_faults({"budget": 50, "window": 60})
    pull_all(connector, "jira_links")
    state = connector.policy.pacer.state
    assert (state.limit, state.remaining) == (50, 49) and state.reset_at is not None
