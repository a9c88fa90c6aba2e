"""The Zendesk emulator over real HTTP: auth, exports, writes, jobs, limits, errors and /_sandbox/."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from sandbox.launcher import Sandbox
from sandbox.serving import Served, serve
from sandbox.zendesk import ZendeskEmulator
from tests.specs import assert_documented_calls, assert_response_matches
from tests.zendesk.conftest import TOKEN, fake_references, stop_soon


def client(served: Served, token: str = TOKEN, email: str = "admin@example.com") -> httpx.Client:
    return httpx.Client(base_url=served.url, auth=(f"{email}/token", token), timeout=5)


def test_basic_auth_with_an_api_token(served: Served) -> None:
    assert client(served).get("/api/v2/users/me.json").status_code == 200
    for bad in (client(served, token="nope"), client(served, email="other@example.com")):
        response = bad.get("/api/v2/users/me.json")
        assert response.status_code == 401 and response.json() == {"error": "Couldn't authenticate you"}
    raw = httpx.get(
        served.url + "/api/v2/users/me.json",
        headers={
            "Authorization": "Basic " + base64.b64encode(b"admin@example.com:" + TOKEN.encode()).decode()
        },
    )
    assert raw.status_code == 401  # the password form is not accepted


def test_cursor_export_pages_to_end_of_stream(served: Served) -> None:
    http = client(served)
    first = http.get(
        "/api/v2/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 10}
    ).json()
    assert_response_matches("zendesk", "GET", "/api/v2/incremental/tickets/cursor", 200, first)
    assert len(first["tickets"]) == 10 and first["end_of_stream"] is False
    assert first["after_url"].endswith(f"cursor={first['after_cursor']}")
    seen = [t["id"] for t in first["tickets"]]
    cursor = first["after_cursor"]
    while True:
        page = http.get(
            "/api/v2/incremental/tickets/cursor.json", params={"cursor": cursor, "per_page": 10}
        ).json()
        seen += [t["id"] for t in page["tickets"]]
        cursor = page["after_cursor"]
        if page["end_of_stream"]:
            break
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 24
    again = http.get("/api/v2/incremental/tickets/cursor.json", params={"cursor": cursor}).json()
    assert again["tickets"] == [] and again["end_of_stream"] is True
    updated = [t["updated_at"] for t in first["tickets"]]
    assert updated == sorted(updated)


def test_export_sideloads_and_bad_parameters(served: Served) -> None:
    http = client(served)
    page = http.get(
        "/api/v2/incremental/tickets/cursor.json",
        params={"start_time": 0, "include": "users,groups,organizations"},
    ).json()
    requester_ids = {t["requester_id"] for t in page["tickets"]}
    assert requester_ids <= {u["id"] for u in page["users"]}
    orgs = {t.get("organization_id") for t in page["tickets"]}
    assert None in orgs  # a person of no organisation asks too (the B2C case)
    assert orgs - {None} == {o["id"] for o in page["organizations"]}
    assert page["groups"] and all("name" in g for g in page["groups"])
    bad = http.get("/api/v2/incremental/tickets/cursor.json", params={"cursor": "%%%"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidValue"
    assert http.get("/api/v2/incremental/tickets/cursor.json").status_code == 400


def test_last_minute_is_left_out_of_the_export() -> None:
    emulator = ZendeskEmulator(TOKEN, export_per_minute=100, export_exclusion=60)
    emulator.generate(5, 1, [])
    running = serve(emulator)
    try:
        http = client(running)
        emulator.edit({"key": "#101", "set": {"title": "just now"}})
        page = http.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0}).json()
        assert 101 not in {t["id"] for t in page["tickets"]} and len(page["tickets"]) == 4
        too_recent = http.get(
            "/api/v2/incremental/tickets/cursor.json", params={"start_time": int(time.time())}
        )
        assert too_recent.status_code == 400 and "older than 1 minute" in too_recent.json()["description"]
    finally:
        stop_soon(running)


def test_export_budget_answers_429_with_retry_after(served: Served, emulator: ZendeskEmulator) -> None:
    http = client(served)
    http.post("/_sandbox/faults", json={"export_per_minute": 2, "export_window": 30})
    statuses = [
        http.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    limited = http.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0})
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.json()["error"] == "APIRateLimitExceeded"
    assert http.get("/api/v2/tickets/101.json").status_code == 200  # other endpoints keep their budget
    assert "X-Rate-Limit-Remaining" in limited.headers and "X-Rate-Limit" in limited.headers


def test_account_budget_past_its_limit(served: Served) -> None:
    http = client(served)
    http.post("/_sandbox/faults", json={"budget": 2, "window": 60})
    assert [http.get("/api/v2/tickets/101.json").status_code for _ in range(3)] == [200, 200, 429]
    limited = http.get("/api/v2/tickets/101.json")
    assert limited.headers["X-Rate-Limit-Remaining"] == "0" and int(limited.headers["Retry-After"]) >= 1


def open_ticket(emulator: ZendeskEmulator) -> int:
    return min(t.id for t in emulator.data.tickets.values() if t.status in ("open", "pending"))


def test_update_ticket_moves_updated_and_validates(served: Served, emulator: ZendeskEmulator) -> None:
    http = client(served)
    ticket = open_ticket(emulator)
    before = http.get(f"/api/v2/tickets/{ticket}.json").json()["ticket"]
    assert_response_matches("zendesk", "GET", "/api/v2/tickets/{ticket_id}", 200, {"ticket": before})
    body = {
        "ticket": {
            "custom_fields": [{"id": 360000102, "value": 7}],
            "status": "hold",
            "comment": {"body": "Engineering picked this up", "public": False},
        }
    }
    answer = http.put(f"/api/v2/tickets/{ticket}.json", json=body)
    assert answer.status_code == 200
    assert_response_matches("zendesk", "PUT", "/api/v2/tickets/{ticket_id}", 200, answer.json())
    after = answer.json()["ticket"]
    assert after["updated_at"] >= before["updated_at"] and after["status"] == "hold"
    assert {"id": 360000102, "value": "7"} in after["custom_fields"]  # Zendesk answers values as strings
    assert emulator.data.tickets[ticket].updated > time.time() - 5
    comments = http.get(f"/api/v2/tickets/{ticket}/comments.json").json()["comments"]
    assert comments[-1]["body"] == "Engineering picked this up" and comments[-1]["public"] is False
    wrong_field = http.put(
        f"/api/v2/tickets/{ticket}.json", json={"ticket": {"custom_fields": [{"id": 1, "value": 1}]}}
    )
    assert wrong_field.status_code == 422 and wrong_field.json()["error"] == "RecordInvalid"
    not_number = http.put(
        f"/api/v2/tickets/{ticket}.json",
        json={"ticket": {"custom_fields": [{"id": 360000102, "value": "high"}]}},
    )
    assert not_number.status_code == 422
    closed = next(t.id for t in emulator.data.tickets.values() if t.status == "closed")
    refused = http.put(f"/api/v2/tickets/{closed}.json", json={"ticket": {"status": "open"}})
    assert refused.status_code == 422 and "closed" in str(refused.json()["details"])
    missing = http.get("/api/v2/tickets/99999.json")
    assert missing.status_code == 404 and missing.json() == {
        "error": "RecordNotFound",
        "description": "Not found",
    }


def test_update_many_adds_tags_as_a_job(served: Served, emulator: ZendeskEmulator) -> None:
    http = client(served)
    first, second = sorted(t.id for t in emulator.data.tickets.values() if t.status != "closed")[:2]
    emulator.data.tickets[first].tags = ["vip"]
    queued = http.put(
        "/api/v2/tickets/update_many.json",
        params={"ids": f"{first},{second},99999"},
        json={"ticket": {"additional_tags": ["rb-ranked"]}},
    ).json()["job_status"]
    assert queued["status"] == "queued" and queued["results"] is None
    done = http.get(f"/api/v2/job_statuses/{queued['id']}.json").json()
    assert_response_matches("zendesk", "GET", "/api/v2/job_statuses/{job_status_id}", 200, done, which="full")
    results = {r["id"]: r["success"] for r in done["job_status"]["results"]}
    assert done["job_status"]["status"] == "completed" and results == {
        first: True,
        second: True,
        99999: False,
    }
    assert set(emulator.data.tickets[first].tags) == {"vip", "rb-ranked"}
    too_many = http.put(
        "/api/v2/tickets/update_many.json",
        params={"ids": ",".join(map(str, range(1, 102)))},
        json={"ticket": {"additional_tags": ["x"]}},
    )
    assert too_many.status_code == 400
    shown = http.get("/api/v2/tickets/show_many.json", params={"ids": f"{first},{second}"}).json()
    assert_response_matches("zendesk", "GET", "/api/v2/tickets/show_many", 200, shown)
    assert [t["id"] for t in shown["tickets"]] == [first, second]


def test_organizations_export_and_jira_links(served: Served) -> None:
    http = client(served)
    export = http.get("/api/v2/incremental/organizations.json", params={"start_time": 0}).json()
    assert_response_matches("zendesk", "GET", "/api/v2/incremental/organizations", 200, export, which="full")
    tiers = {o["organization_fields"]["tier"] for o in export["organizations"]}
    assert tiers <= {"enterprise", "business", "starter"} and export["end_of_stream"] is True
    assert all(o["organization_fields"]["arr"] > 0 for o in export["organizations"])
    first = http.get("/api/v2/jira/links", params={"page[size]": 1}).json()
    assert len(first["links"]) == 1 and first["meta"]["has_more"] is True
    rest = http.get(
        "/api/v2/jira/links", params={"page[size]": 100, "page[after]": first["links"][-1]["id"]}
    ).json()
    ids = [link["id"] for link in first["links"] + rest["links"]]
    assert ids == sorted(set(ids)) and rest["meta"]["has_more"] is False
    one = http.get("/api/v2/jira/links", params={"filter[ticket_id]": first["links"][0]["ticket_id"]}).json()
    assert {link["ticket_id"] for link in one["links"]} == {first["links"][0]["ticket_id"]}
    fields = http.get("/api/v2/ticket_fields.json").json()
    assert_response_matches("zendesk", "GET", "/api/v2/ticket_fields", 200, fields)


def test_sandbox_endpoints(served: Served, emulator: ZendeskEmulator) -> None:
    http = client(served)
    state = http.get("/_sandbox/state").json()
    item = state["items"][0]
    assert set(item) >= {
        "key",
        "native_id",
        "title",
        "status",
        "status_category",
        "order",
        "labels",
        "fields",
        "updated",
    }
    assert item["order"] is None and state["expected_links"]
    edited = http.post(
        "/_sandbox/edit",
        json={"key": item["key"], "set": {"status_category": "in_progress", "rank": 3, "labels": ["a"]}},
    )
    assert edited.status_code == 200
    after = {i["key"]: i for i in http.get("/_sandbox/state").json()["items"]}[item["key"]]
    assert (after["status"], after["fields"]["rank"], after["labels"]) == ("hold", 3, ["a"])
    assert after["updated"] >= item["updated"]
    assert http.post("/_sandbox/edit", json={"key": item["key"], "move": {"after": None}}).status_code == 400
    assert http.post("/_sandbox/edit", json={"key": "#1", "set": {"title": "x"}}).status_code == 400
    org = state["organizations"][0]
    http.post("/_sandbox/edit", json={"key": f"org:{org['native_id']}", "set": {"arr": 1.0}})
    assert http.get("/_sandbox/state").json()["organizations"][0]["arr"] == 1.0
    http.get("/api/v2/tickets/101.json")
    log = http.get("/_sandbox/requests").json()
    assert log[-1]["path"] == "/api/v2/tickets/101" and log[-1]["status"] == 200
    assert_documented_calls("zendesk", log)
    http.post("/_sandbox/reset")
    assert http.get("/_sandbox/requests").json() == []
    faults = http.post("/_sandbox/faults", json={"error_rate": 1.0, "remaining": 1}).json()
    assert faults["faults"]["error_rate"] == 1.0
    broken = http.get("/api/v2/tickets/101.json")
    assert broken.status_code == 500 and broken.json()["error"] == "InternalError"
    assert http.get("/api/v2/tickets/101.json").status_code == 200


def test_generator_is_deterministic_and_references_issues_every_way() -> None:
    def expected(seed: int) -> list[dict[str, Any]]:
        emulator = ZendeskEmulator(TOKEN)
        emulator.generate(60, seed, fake_references(10))
        return list(emulator.state()["expected_links"])

    links = expected(5)
    assert links == expected(5) and links != expected(6)
    assert {link["how"] for link in links} == {
        "jira_link",
        "field_key",
        "field_url",
        "url_in_description",
        "key_in_subject",
    }
    assert {link["service"] for link in links} == {"jira", "github", "linear"}


def test_sandbox_writes_a_zendesk_connection(tmp_path: Any) -> None:
    box = Sandbox.start(["zendesk"], items=5, seed=2)
    try:
        table = box.config(tmp_path / "s.db")["connections"]["zendesk"]
        assert table["token"] == "${RANKBRIDGE_SANDBOX_TOKEN}" and table["type"] == "zendesk"
        assert box.token not in str(table)
        assert table["policy"]["max_wait"] <= 5 and table["fields"]["rank"].isdigit()
    finally:
        box.stop()


def test_a_missing_ticket_is_404_and_an_unserved_operation_501(served: Served) -> None:
    assert client(served).get("/api/v2/tickets/999999.json").status_code == 404
    # "count" is Count Tickets (a documented operation it does not serve), not a ticket id
    counted = client(served).get("/api/v2/tickets/count.json")
    assert counted.status_code == 501 and "GET /api/v2/tickets/count is not emulated" in counted.text
    response = client(served).get("/api/v2/nothing")
    assert response.status_code == 501
    assert response.json()["description"] == "GET /api/v2/nothing is not emulated by the rankbridge sandbox"


def test_tickets_are_as_messy_as_a_real_help_desk(served: Served) -> None:
    """Missing assignee, group, priority, type and organisation; deleted tickets in the export; due_at on
    tasks; custom_status_id everywhere (TicketObject, support-oas.full.yaml)."""
    tickets = client(served).get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0}).json()
    rows = tickets["tickets"]
    for name in ("assignee_id", "group_id", "priority", "type", "organization_id"):
        assert any(name not in t for t in rows) and any(name in t for t in rows), name
    assert sum("assignee_id" not in t for t in rows) > len(rows) / 3
    assert any(t["status"] == "deleted" for t in rows)
    assert all(isinstance(t["custom_status_id"], int) for t in rows)
    assert all((t["due_at"] is not None) == (t.get("type") == "task") for t in rows)
    live = client(served).get(
        "/api/v2/incremental/tickets/cursor.json", params={"start_time": 0, "exclude_deleted": "true"}
    )
    assert all(t["status"] != "deleted" for t in live.json()["tickets"])
    for name in ("X-Rate-Limit", "X-Rate-Limit-Remaining", "ratelimit-limit", "ratelimit-reset"):
        assert name in live.headers, name  # both families, as Zendesk sends them
    assert live.headers["x-rate-limit-remaining"] == live.headers["ratelimit-remaining"]
    assert live.headers["X-Rate-Limit"] == "700"  # the Enterprise plan's budget a minute, by default
    fields = client(served).get("/api/v2/ticket_fields.json")
    again = client(served).get(
        "/api/v2/ticket_fields.json", headers={"If-None-Match": fields.headers["ETag"]}
    )
    assert fields.headers["ETag"].startswith('W/"') and again.status_code == 304


def test_a_side_load_it_does_not_serve_answers_501_not_a_silent_200(served: Served) -> None:
    """``include`` on GET /api/v2/incremental/tickets/cursor (zendesk/rest-endpoints.json) changes the
    answer; a side-load other than users, groups and organizations is not left out silently."""
    path = "/api/v2/incremental/tickets/cursor.json"
    answer = client(served).get(path, params={"start_time": 0, "include": "users,metric_sets"})
    assert answer.status_code == 501
    assert answer.json()["description"] == (
        "GET /api/v2/incremental/tickets/cursor with include=metric_sets"
        " is not emulated by the rankbridge sandbox"
    )
    served_ones = client(served).get(path, params={"start_time": 0, "include": "users,organizations"})
    assert served_ones.status_code == 200 and "organizations" in served_ones.json()
