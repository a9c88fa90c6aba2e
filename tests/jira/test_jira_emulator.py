"""The Jira emulator over real HTTP: auth, search pagination in both styles, JQL, writes, rate limits and
the /_sandbox/ endpoints."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.jira import JiraEmulator
from sandbox.jira.data import between, initial_ranks, spread
from sandbox.serving import Served, serve
from tests.jira.conftest import ITEMS, TOKEN, api_client, control, emulator_of, start

FIELDS = ["summary", "status", "updated", "customfield_10019"]


def search_all(client: httpx.Client, jql: str, fields: list[str], size: int = 7) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": size}
        if token:
            body["nextPageToken"] = token
        data = client.post("/rest/api/3/search/jql", json=body).json()
        issues += data["issues"]
        token = data.get("nextPageToken")
        if data["isLast"]:
            assert token is None
            return issues


def test_auth_schemes(cloud: Served, datacenter: Served) -> None:
    for served in (cloud, datacenter):
        with api_client(served, auth=False) as anonymous:
            response = anonymous.get("/rest/api/2/myself")
            assert response.status_code == 401
            assert response.json() == {"errorMessages": ["authentication required"], "errors": {}}
            assert anonymous.get("/rest/api/2/serverInfo").status_code == 200  # public, as in Jira
        with api_client(served) as client:
            assert client.get("/rest/api/2/myself").status_code == 200
    with httpx.Client(
        base_url=datacenter.url, auth=(emulator_of(datacenter).email, "jira-test-token-5c1d9e")
    ) as basic:
        assert basic.get("/rest/api/2/myself").status_code == 401  # DC takes a bearer PAT, not basic auth


def test_server_info_tells_the_deployment(cloud: Served, datacenter: Served) -> None:
    with api_client(cloud) as client:
        info = client.get("/rest/api/3/serverInfo").json()
        assert info["deploymentType"] == "Cloud" and info["versionNumbers"][0] >= 1000
    with api_client(datacenter) as client:
        assert client.get("/rest/api/2/serverInfo").json()["deploymentType"] == "Server"
        assert client.get("/rest/api/3/serverInfo").status_code == 404  # no v3 on Data Center


def test_cloud_search_pages_with_next_page_token(cloud: Served) -> None:
    with api_client(cloud) as client:
        issues = search_all(client, "project in (ENG, OPS) ORDER BY updated ASC", FIELDS)
        assert len(issues) == ITEMS == len({i["id"] for i in issues})
        stamps = [i["fields"]["updated"] for i in issues]
        assert stamps == sorted(stamps)
        assert issues[0]["self"].startswith(cloud.url + "/rest/api/3/issue/")
        big = client.post(
            "/rest/api/3/search/jql", json={"jql": "project = ENG", "maxResults": 5000, "fields": ["summary"]}
        ).json()
        assert len(big["issues"]) <= 100  # full issues come 100 at most per page
        ids = client.get("/rest/api/3/search/jql", params={"jql": "project = ENG", "maxResults": 5000}).json()
        assert ids["isLast"] and "fields" not in ids["issues"][0]  # fields default to id only
        unbounded = client.post("/rest/api/3/search/jql", json={"jql": "ORDER BY Rank"})
        assert unbounded.status_code == 400 and unbounded.json()["errorMessages"]
        assert client.get("/rest/api/3/search", params={"jql": "project = ENG"}).status_code == 410
        bad = client.post("/rest/api/3/search/jql", json={"jql": "project = ENG", "nextPageToken": "forged"})
        assert bad.status_code == 400


def test_search_options_are_honoured_or_answer_501_not_a_silent_200(cloud: Served) -> None:
    """``expand``, ``properties`` and ``fieldsByKeys`` of GET/POST /rest/api/3/search/jql
    (jira/platform.subset.openapi.json, searchAndReconsileIssuesUsingJql): ``names`` and ``schema`` once at
    the top, ``transitions`` on each issue, the properties (none kept) on each issue; ``changelog`` (no
    history is kept) answers 501."""
    with api_client(cloud) as client:
        changelog = client.get(
            "/rest/api/3/search/jql", params={"jql": "project = ENG", "expand": "changelog"}
        )
        assert changelog.status_code == 501
        assert changelog.json()["errorMessages"] == [
            "GET /rest/api/3/search/jql with expand=changelog is not emulated by the rankbridge sandbox"
        ]
        body = {
            "jql": "project = ENG",
            "fields": ["summary", "status"],
            "properties": ["rank.meta"],
            "fieldsByKeys": True,
            "expand": "names,transitions",
        }
        posted = client.post("/rest/api/3/search/jql", json=body).json()
        assert posted["names"] == {"summary": "Summary", "status": "Status"} and "schema" not in posted
        first = posted["issues"][0]
        assert first["properties"] == {} and isinstance(first["transitions"], list)
        assert "names" not in first
        plain = {"jql": "project = ENG", "fields": ["summary"], "fieldsByKeys": False, "expand": ""}
        served = client.post("/rest/api/3/search/jql", json=plain).json()
        assert "summary" in served["issues"][0]["fields"] and "names" not in served
        assert "properties" not in served["issues"][0] and "transitions" not in served["issues"][0]


def test_datacenter_search_pages_with_start_at(datacenter: Served) -> None:
    with api_client(datacenter) as client:
        seen: list[str] = []
        start_at = 0
        while True:
            params: dict[str, str | int] = {
                "jql": "project in (ENG, OPS)",
                "startAt": start_at,
                "maxResults": 15,
                "fields": "summary",
            }
            page = client.get("/rest/api/2/search", params=params).json()
            assert page["total"] == ITEMS
            seen += [i["key"] for i in page["issues"]]
            start_at += len(page["issues"])
            if start_at >= page["total"]:
                break
        assert len(seen) == len(set(seen)) == ITEMS
        assert client.post("/rest/api/3/search/jql", json={"jql": "project = ENG"}).status_code == 404


def test_jql_subset(cloud: Served) -> None:
    emulator = emulator_of(cloud)
    everything = sorted(emulator.store.all(), key=lambda i: i.updated)
    middle = everything[len(everything) // 2]
    minute = datetime.fromtimestamp(middle.updated, emulator.zone).strftime("%Y-%m-%d %H:%M")
    with api_client(cloud) as client:
        since = search_all(client, f'project in (ENG, OPS) AND updated >= "{minute}"', ["updated"])
        expected = [i for i in everything if i.updated >= middle.updated - 60]
        assert {i["key"] for i in since} >= {i.key for i in everything if i.updated >= middle.updated}
        assert len(since) <= len(expected)
        epoch = search_all(client, f"project = ENG AND updated >= {int(middle.updated * 1000)}", ["updated"])
        assert {i["key"] for i in epoch} == {
            i.key for i in everything if i.project == "ENG" and i.updated >= int(middle.updated * 1000) / 1000
        }
        open_ranked = search_all(
            client,
            "(project = ENG OR project = OPS) AND statusCategory != Done ORDER BY Rank ASC",
            ["status", "customfield_10019"],
        )
        ranks = [i["fields"]["customfield_10019"] for i in open_ranked]
        assert ranks == sorted(ranks)
        assert all(i["fields"]["status"]["statusCategory"]["key"] != "done" for i in open_ranked)
        keys = [everything[0].key, str(everything[1].id)]
        assert {i["key"] for i in search_all(client, f"key in ({', '.join(keys)})", [])} == {
            everything[0].key,
            everything[1].key,
        }
        unknown = client.post("/rest/api/3/search/jql", json={"jql": "colour = red"})
        assert unknown.status_code == 400 and "colour" in unknown.json()["errorMessages"][0]


def test_rate_limit_past_a_plain_budget(cloud: Served) -> None:
    """A test's plain budget (``/_sandbox/faults`` ``budget``) replaces Cloud's burst buckets; the 429 has
    Jira's headers (tests/jira/test_jira_limits.py covers the documented limits themselves)."""
    control(cloud, "POST", "/_sandbox/faults", {"budget": 3, "window": 60})
    with api_client(cloud) as client:
        ok = [client.get("/rest/api/3/myself") for _ in range(3)]
        assert ok[-1].headers["X-RateLimit-Limit"] == "3" and ok[-1].headers["X-RateLimit-Remaining"] == "0"
        assert "X-RateLimit-Reset" not in ok[-1].headers  # "only returned with 429 responses"
        limited = client.get("/rest/api/3/myself")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert datetime.fromisoformat(limited.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.json()["errorMessages"]


def _updated(client: httpx.Client, key: str) -> str:
    return str(
        client.get(f"/rest/api/3/issue/{key}", params={"fields": "updated"}).json()["fields"]["updated"]
    )


def test_writes_move_updated_and_follow_the_workflow(cloud: Served) -> None:
    emulator = emulator_of(cloud)
    todo = next(i for i in emulator.store.ordered() if i.status == "To Do")
    other = next(i for i in emulator.store.ordered() if i.id != todo.id)
    with api_client(cloud) as client:
        stamps = [_updated(client, todo.key)]
        edit = client.put(
            f"/rest/api/3/issue/{todo.key}",
            params={"notifyUsers": "false"},
            json={"fields": {"customfield_10050": 42.5}},
        )
        assert edit.status_code == 204
        stamps.append(_updated(client, todo.key))
        names = [
            t["name"] for t in client.get(f"/rest/api/3/issue/{todo.id}/transitions").json()["transitions"]
        ]
        assert names == ["Start progress", "Won't do"]
        wrong = client.post(f"/rest/api/3/issue/{todo.key}/transitions", json={"transition": {"id": "31"}})
        assert wrong.status_code == 400 and "not valid" in wrong.json()["errorMessages"][0]
        assert (
            client.post(
                f"/rest/api/3/issue/{todo.key}/transitions", json={"transition": {"id": "21"}}
            ).status_code
            == 204
        )
        stamps.append(_updated(client, todo.key))
        rank = client.put(
            "/rest/agile/1.0/issue/rank",
            json={"issues": [todo.key], "rankBeforeIssue": other.key, "rankCustomFieldId": 10019},
        )
        assert rank.status_code == 204
        stamps.append(_updated(client, todo.key))
        bad_field = client.put(
            f"/rest/api/3/issue/{todo.key}", json={"fields": {"customfield_10019": "0|x:"}}
        )
        assert bad_field.status_code == 400 and "customfield_10019" in bad_field.json()["errors"]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert todo.custom["customfield_10050"] == 42.5 and todo.status == "In Progress"
    assert todo.rank < other.rank


def test_bulk_rank_limits_and_partial_failures(cloud: Served) -> None:
    ordered = emulator_of(cloud).store.ordered()
    anchor, moving = ordered[0], [i.key for i in ordered[5:8]]
    with api_client(cloud) as client:
        too_many = client.put(
            "/rest/agile/1.0/issue/rank", json={"issues": ["ENG-1"] * 51, "rankAfterIssue": "ENG-2"}
        )
        assert too_many.status_code == 400 and "50" in too_many.json()["errorMessages"][0]
        partial = client.put(
            "/rest/agile/1.0/issue/rank",
            json={"issues": [*moving, anchor.key, "ENG-9999"], "rankAfterIssue": anchor.key},
        )
    assert partial.status_code == 207
    entries = {e["issueKey"]: e for e in partial.json()["entries"]}
    assert [entries[k]["status"] for k in moving] == [200, 200, 200]
    assert entries[anchor.key]["status"] == 400 and entries["ENG-9999"]["status"] == 404
    order = [i.key for i in emulator_of(cloud).store.ordered()]
    assert order[:4] == [anchor.key, *moving]


def test_lexorank_like_strings_stay_ordered() -> None:
    ranks = initial_ranks(50)
    assert ranks == sorted(ranks) and len(set(ranks)) == 50
    lo, hi = ranks[3], ranks[4]
    for _ in range(60):  # keep inserting right after lo: strings grow, order holds
        middle = between(lo, hi)
        assert lo < middle < hi
        hi = middle
    batch = spread(ranks[0], ranks[1], 50)
    assert batch == sorted(batch) and ranks[0] < batch[0] and batch[-1] < ranks[1]
    assert between(None, ranks[0]) < ranks[0] and between(ranks[-1], None) > ranks[-1]


def test_sandbox_state_edit_and_log(served: Served) -> None:
    items = control(served, "GET", "/_sandbox/state")["items"]
    assert len(items) == ITEMS
    first = items[0]
    assert set(first) >= {
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
    positions = sorted(i["order"] for i in items if i["order"] is not None)
    assert positions == list(range(len(positions)))
    assert all((i["order"] is None) == (i["status_category"] in ("done", "canceled")) for i in items)
    changed = control(
        served,
        "POST",
        "/_sandbox/edit",
        {
            "key": first["key"],
            "set": {
                "title": "Renamed",
                "status_category": "in_progress",
                "labels": ["customer"],
                "Priority score": 7,
            },
        },
    )
    assert changed["updated"] > first["updated"] and changed["fields"]["score"] == 7
    control(served, "POST", "/_sandbox/edit", {"key": first["key"], "move": {"after": None}})
    after = {i["key"]: i for i in control(served, "GET", "/_sandbox/state")["items"]}
    assert after[first["key"]]["order"] == 0 and after[first["key"]]["title"] == "Renamed"
    control(served, "POST", "/_sandbox/edit", {"key": first["key"], "delete": True})
    assert first["key"] not in {i["key"] for i in control(served, "GET", "/_sandbox/state")["items"]}
    with api_client(served) as client:
        client.get("/rest/api/2/myself")
    log = control(served, "GET", "/_sandbox/requests")
    assert [(e["method"], e["path"], e["status"]) for e in log] == [("GET", "/rest/api/2/myself", 200)]
    control(served, "POST", "/_sandbox/reset", {})
    assert control(served, "GET", "/_sandbox/requests") == []


def test_raw_edit_makes_a_payload_malformed(cloud: Served) -> None:
    key = control(cloud, "GET", "/_sandbox/state")["items"][0]["key"]
    control(cloud, "POST", "/_sandbox/edit", {"key": key, "raw": {"fields": {"updated": "not a time"}}})
    with api_client(cloud) as client:
        assert _updated(client, key) == "not a time"


def test_generator_is_deterministic() -> None:
    runs = [start("cloud", items=30, seed=9) for _ in range(2)]
    try:
        states = [control(r, "GET", "/_sandbox/state")["items"] for r in runs]
        descriptions = [[i.description for i in emulator_of(r).store.all()] for r in runs]
    finally:
        for r in runs:
            r.stop()
    assert states[0] == states[1] and descriptions[0] == descriptions[1]
    labels = {label for item in states[0] for label in item["labels"]}
    assert {"customer", "security"} <= labels
    assert time.time() > max(
        datetime.fromisoformat(i["updated"].replace("Z", "+00:00")).timestamp() for i in states[0]
    )


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland"])
def test_the_api_user_zone_rules_timestamps_and_jql_dates(zone: str) -> None:
    """Jira reads JQL dates as wall-clock time in the user's profile zone (``User.timeZone`` of myself)
    and writes timestamps with that zone's offset, daylight-saving time included."""
    running = serve(JiraEmulator(TOKEN, timezone=zone))
    emulator = emulator_of(running)
    emulator.generate(ITEMS, 5, [])
    winter, summer = emulator.store.all()[:2]
    winter.updated = datetime(2026, 1, 15, 12, 0, 30, tzinfo=UTC).timestamp()
    summer.updated = datetime(2026, 7, 15, 12, 0, 30, tzinfo=UTC).timestamp()
    try:
        with api_client(running) as client:
            assert client.get("/rest/api/3/myself").json()["timeZone"] == zone
            for issue in (winter, summer):
                moment = datetime.fromtimestamp(issue.updated, ZoneInfo(zone))
                found = search_all(client, f"key = {issue.key}", ["updated"])[0]["fields"]["updated"]
                assert found.endswith(moment.strftime("%z"))  # -0800 in January, -0700 in July, ...
                assert datetime.strptime(found, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() == issue.updated
                local = moment.strftime("%Y-%m-%d %H:%M")  # the issue's minute, as the user reads it
                at = search_all(client, f'key = {issue.key} AND updated >= "{local}"', ["updated"])
                utc = datetime.fromtimestamp(issue.updated, UTC).strftime("%Y-%m-%d %H:%M")
                as_utc = search_all(client, f'key = {issue.key} AND updated >= "{utc}"', ["updated"])
                later = f"{(moment + timedelta(minutes=1)):%Y-%m-%d %H:%M}"
                after = search_all(client, f'key = {issue.key} AND updated >= "{later}"', ["updated"])
                assert (len(at), len(after)) == (1, 0)  # minute precision in the user's zone
                assert len(as_utc) == (0 if moment.utcoffset() < timedelta(0) else 1)  # type: ignore[operator]
    finally:
        running.stop()
