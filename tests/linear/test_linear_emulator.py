"""The Linear emulator over real HTTP: auth, pagination, rate limits, errors, writes, /_sandbox/."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import httpx
import pytest

from connectors.linear.client import document
from sandbox.linear import LinearEmulator

ISSUE_IDS = (
    "query Ids($first: Int, $after: String) { issues(first: $first, after: $after, includeArchived: true) "
    "{ nodes { id updatedAt } pageInfo { hasNextPage endCursor } } }"
)


def post(
    emulator: LinearEmulator, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": emulator.token if token is None else token}
    return httpx.post(
        f"{emulator.base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )


def control(emulator: LinearEmulator, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(emulator.base_url + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("token", ["", "wrong", "Bearer {token}"])
def test_bad_or_bearer_credentials_get_401_authentication_error(emulator: LinearEmulator, token: str) -> None:
    response = post(emulator, "{ viewer { id } }", token=token.format(token=emulator.token))
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "AUTHENTICATION_ERROR"
    assert emulator.token not in response.text


def test_pagination_visits_every_issue_once(emulator: LinearEmulator) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = post(emulator, ISSUE_IDS, {"first": 7, "after": after}).json()["data"]["issues"]
        seen.extend(n["id"] for n in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == len(emulator.data.issues) == 40


def test_incremental_filter_and_archived(emulator: LinearEmulator) -> None:
    everything = post(emulator, ISSUE_IDS, {"first": 250}).json()["data"]["issues"]["nodes"]
    archived = [i for i in emulator.data.issues.values() if i["archivedAt"]]
    query = document("issues")
    since = sorted(n["updatedAt"] for n in everything)[29]
    page = post(emulator, query, {"filter": {"updatedAt": {"gt": since}}, "first": 100}).json()["data"][
        "issues"
    ]
    assert len(page["nodes"]) == 10
    assert [n["updatedAt"] for n in page["nodes"]] == sorted(n["updatedAt"] for n in page["nodes"])
    without = post(emulator, "{ issues(first: 250) { nodes { id } } }").json()["data"]["issues"]["nodes"]
    assert len(without) == 40 - len(archived) and archived


def test_rate_limited_past_the_budget_with_400_and_reset(emulator: LinearEmulator) -> None:
    control(emulator, "POST", "/_sandbox/faults", {"budget": 2, "window": 60})
    assert post(emulator, "{ viewer { id } }").status_code == 200
    assert post(emulator, "{ viewer { id } }").status_code == 200
    response = post(emulator, "{ viewer { id } }")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
    assert response.headers["X-RateLimit-Requests-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Requests-Reset"]) > 1e12


def test_too_complex_and_invalid_queries_are_refused(emulator: LinearEmulator) -> None:
    deep = "{ issues(first: 250) { nodes { labels(first: 250) { nodes { id name } } } } }"
    response = post(emulator, deep)
    assert response.status_code == 400 and "complex" in response.json()["errors"][0]["message"]
    invalid = post(emulator, "{ issues { nodes { noSuchField } } }")
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_issue_update_moves_updated_at_and_logs_a_mutation(emulator: LinearEmulator) -> None:
    issue = next(iter(emulator.data.issues.values()))
    before = issue["updatedAt"]
    response = post(
        emulator, document("issue_update"), {"id": issue["id"], "input": {"sortOrder": 12.5, "priority": 1}}
    )
    payload = response.json()["data"]["issueUpdate"]
    assert payload["success"] and payload["issue"]["sortOrder"] == 12.5 and payload["issue"]["priority"] == 1
    assert payload["issue"]["updatedAt"] > before
    assert emulator.log[-1]["mutating"] and emulator.log[-1]["operation"]["type"] == "mutation"
    wrong = post(emulator, document("issue_update"), {"id": "nope", "input": {"priority": 1}})
    assert wrong.status_code == 400 and "Entity not found" in wrong.json()["errors"][0]["message"]


def test_urls_carry_a_slug_that_follows_the_title_and_whole_numbers_are_integers(
    emulator: LinearEmulator,
) -> None:
    query = "query One($id: String!) { issue(id: $id) { url number priority title } }"
    issue = next(iter(emulator.data.issues.values()))
    before = post(emulator, query, {"id": issue["id"]})
    assert before.headers["X-RateLimit-Requests-Limit"] == "2500"  # an API key's budget an hour
    shown = before.json()["data"]["issue"]
    assert isinstance(shown["number"], int) and isinstance(shown["priority"], int)  # 4, not 4.0
    slug = shown["title"].lower().replace(" ", "-")
    assert shown["url"].endswith(f"/issue/{issue['identifier']}/{slug}")
    post(emulator, document("issue_update"), {"id": issue["id"], "input": {"title": "Speed up search!"}})
    after = post(emulator, query, {"id": issue["id"]}).json()["data"]["issue"]
    assert after["url"].endswith(f"/issue/{issue['identifier']}/speed-up-search")


def test_state_is_an_order_per_team(emulator: LinearEmulator) -> None:
    state = control(emulator, "GET", "/_sandbox/state")
    for team, order in state["orders"].items():
        issues = [emulator.data.issues[i] for i in order]
        assert all(emulator.data.teams[i["_team"]]["key"] == team for i in issues)
        assert [i["sortOrder"] for i in issues] == sorted(i["sortOrder"] for i in issues)
    ordered = [i for i in state["items"] if i["order"] is not None]
    assert ordered and all(i["status_category"] not in ("done", "canceled") for i in ordered)
    assert {
        "key",
        "native_id",
        "title",
        "status",
        "status_category",
        "order",
        "labels",
        "fields",
        "updated",
    } <= set(state["items"][0])


def test_edits_as_a_person_makes_them(emulator: LinearEmulator) -> None:
    state = control(emulator, "GET", "/_sandbox/state")
    eng = state["orders"]["ENG"]
    first, last = emulator.data.issues[eng[0]], emulator.data.issues[eng[-1]]
    control(emulator, "POST", "/_sandbox/edit", {"key": last["identifier"], "move": {"after": None}})
    control(
        emulator,
        "POST",
        "/_sandbox/edit",
        {
            "key": first["identifier"],
            "set": {"title": "Renamed", "status_category": "done", "labels": ["rb-close"]},
        },
    )
    after = control(emulator, "GET", "/_sandbox/state")
    assert after["orders"]["ENG"][0] == last["id"]
    edited = next(i for i in after["items"] if i["native_id"] == first["id"])
    assert (edited["title"], edited["status_category"], edited["labels"]) == ("Renamed", "done", ["rb-close"])
    control(emulator, "POST", "/_sandbox/edit", {"key": last["identifier"], "delete": True})
    gone = next(
        i for i in control(emulator, "GET", "/_sandbox/state")["items"] if i["native_id"] == last["id"]
    )
    assert gone["deleted"] and gone["order"] is None


def test_generator_is_deterministic_and_rich() -> None:
    refs = [{"service": "jira", "key": "PROJ-1", "url": "http://127.0.0.1:1/browse/PROJ-1", "native_id": "1"}]
    a, b = LinearEmulator("t"), LinearEmulator("t")
    a.generate(120, 5, refs)
    b.generate(120, 5, refs)
    assert a.state()["items"] == b.state()["items"]
    data = a.data
    assert {t["key"] for t in data.teams.values()} == {"ENG", "DES"}
    assert {s["type"] for s in data.states.values()} >= {
        "triage",
        "backlog",
        "unstarted",
        "started",
        "completed",
        "canceled",
    }
    assert data.projects and data.cycles and data.needs and data.customers
    assert all(c["revenue"] and c["_tier"] and c["size"] for c in data.customers.values())
    issues = list(data.issues.values())
    assert any(i["_parent"] for i in issues) and any(i["archivedAt"] for i in issues)
    assert any(a["url"] == refs[0]["url"] for i in issues for a in i["_attachments"])
    assert len({i["sortOrder"] for i in issues}) == len(issues)
    assert {r["key"] for r in a.references()} <= {i["identifier"] for i in issues}


def test_attachment_url_is_its_identity_on_the_issue(emulator: LinearEmulator) -> None:
    """schema.graphql, attachmentCreate: "Creates a new attachment, or updates existing if the same `url`
    and `issueId` is used"; attachmentDelete removes it; the issue's updatedAt stays by default."""
    issue = next(i for i in emulator.data.issues.values() if not i["_attachments"])
    updated = issue["updatedAt"]
    create = document("attachment_create")
    first = {"issueId": issue["identifier"], "url": "https://r.example.com/a.html", "title": "Report"}
    made = post(emulator, create, {"input": first}).json()["data"]["attachmentCreate"]["attachment"]
    again = post(emulator, create, {"input": {**first, "title": "Ranking", "subtitle": "s"}}).json()
    assert again["data"]["attachmentCreate"]["attachment"]["id"] == made["id"]
    assert [(a["title"], a["subtitle"]) for a in issue["_attachments"]] == [("Ranking", "s")]
    assert issue["updatedAt"] == updated
    query = (
        "query Linked($f: IssueFilter!) { issues(filter: $f) { nodes { identifier "
        'attachments(filter: {subtitle: {eq: "s"}}) { nodes { url issue { identifier } } } } } }'
    )
    since = {"gt": "2099-01-01T00:00:00.000Z"}
    linked = {"or": [{"updatedAt": since}, {"attachments": {"some": {"updatedAt": {"gt": updated}}}}]}
    found = post(emulator, query, {"f": linked}).json()["data"]["issues"]["nodes"]
    assert [n["identifier"] for n in found] == [issue["identifier"]]
    assert found[0]["attachments"]["nodes"] == [
        {"url": first["url"], "issue": {"identifier": issue["identifier"]}}
    ]
    bad = post(emulator, create, {"input": {**first, "url": "not a url"}})
    assert bad.status_code == 400 and "Invalid url" in bad.json()["errors"][0]["message"]
    gone = post(emulator, document("attachment_delete"), {"id": made["id"]}).json()
    assert gone["data"]["attachmentDelete"]["success"] and issue["_attachments"] == []
    missing = post(emulator, document("attachment_delete"), {"id": made["id"]})
    assert missing.status_code == 400 and "Entity not found" in missing.json()["errors"][0]["message"]
