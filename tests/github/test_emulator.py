"""The GitHub emulator over real HTTP: auth, pagination, ETags, rate limits, error bodies, writes, GraphQL,
and the /_sandbox/ endpoints."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import httpx

from sandbox.github import GithubEmulator
from sandbox.serving import Served
from tests.github.conftest import TOKEN

LIST = "/repos/acme/app/issues"
ALL = {"state": "all", "sort": "updated", "direction": "asc", "per_page": "10"}


def client(served: Served, token: str = TOKEN) -> httpx.Client:
    return httpx.Client(base_url=served.url, headers={"Authorization": f"token {token}"}, timeout=10)


def graphql(served: Served, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    with client(served) as http:
        response = http.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def control(served: Served, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(served.url + path, data=data, method="GET" if data is None else "POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_bad_token_gets_githubs_401_body(served: Served) -> None:
    with client(served, "nope") as http:
        response = http.get(LIST)
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials" and "documentation_url" in response.json()
    with httpx.Client(base_url=served.url) as http:
        assert http.post("/graphql", json={"query": "{ viewer { login } }"}).status_code == 401


def test_link_pagination_uses_the_emulators_host(served: Served) -> None:
    seen: list[int] = []
    with client(served) as http:
        response = http.get(LIST, params=ALL)
        while True:
            assert response.status_code == 200
            seen.extend(i["number"] for i in response.json())
            if "next" not in response.links:
                break
            assert response.links["next"]["url"].startswith(served.url)
            response = http.get(response.links["next"]["url"])
    assert len(seen) == len(set(seen)) > 10


def test_since_filter_and_updated_order(served: Served) -> None:
    with client(served) as http:
        everything = http.get(LIST, params={**ALL, "per_page": "100"}).json()
        middle = everything[len(everything) // 2]["updated_at"]
        later = http.get(LIST, params={**ALL, "per_page": "100", "since": middle}).json()
    stamps = [i["updated_at"] for i in later]
    assert stamps == sorted(stamps) and all(s >= middle for s in stamps)
    assert 0 < len(later) < len(everything)


def test_etag_304_costs_no_budget(served: Served) -> None:
    with client(served) as http:
        first = http.get(LIST, params=ALL)
        again = http.get(LIST, params=ALL, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"])
    for name in ("limit", "remaining", "used", "reset", "resource"):
        assert f"x-ratelimit-{name}" in first.headers


def test_past_the_budget_403_with_retry_after_and_injected_429(served: Served) -> None:
    control(served, "/_sandbox/faults", {"budget": 2, "window": 60})
    with client(served) as http:
        codes = [http.get(LIST).status_code for _ in range(3)]
        limited = http.get(LIST)
    assert codes[:2] == [200, 200] and limited.status_code == 403
    assert "rate limit" in limited.json()["message"] and int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-remaining"] == "0"
    control(
        served, "/_sandbox/faults", {"rate_limit_rate": 1.0, "retry_after": 2, "remaining": 1, "budget": 1000}
    )
    with client(served) as http:
        injected = http.get(LIST)
    assert injected.status_code == 429 and injected.headers["retry-after"] == "2"
    assert "secondary rate limit" in injected.json()["message"]


def test_patch_closes_with_reason_and_moves_updated(served: Served) -> None:
    with client(served) as http:
        before = http.get("/repos/acme/app/issues/1").json()
        after = http.patch(
            "/repos/acme/app/issues/1", json={"state": "closed", "state_reason": "not_planned"}
        )
        invalid = http.patch("/repos/acme/app/issues/1", json={"state": "gone"})
        missing = http.get("/repos/acme/app/issues/99999")
    assert after.status_code == 200 and after.json()["state_reason"] == "not_planned"
    assert after.json()["updated_at"] >= before["updated_at"] and after.json()["closed_at"]
    assert (
        invalid.status_code == 422 and missing.status_code == 404 and missing.json()["message"] == "Not Found"
    )


def test_pull_requests_are_listed_among_issues(served: Served) -> None:
    with client(served) as http:
        rows = http.get(LIST, params={**ALL, "per_page": "100"}).json()
    pulls = sum("pull_request" in r for r in rows)
    assert 0.2 <= pulls / len(rows) <= 0.45  # about a third of a page, as in a busy repository
    assert any(r["body"] is None for r in rows if "pull_request" not in r)  # no description: null


def test_each_resource_has_its_own_budget(served: Served) -> None:
    """GET /rate_limit (rate-limit-overview): core, search and graphql are separate budgets with the
    documented sizes; a GraphQL query spends the graphql one, not core."""
    with client(served) as http:
        before = http.get("/rate_limit").json()["resources"]
        assert (before["core"]["limit"], before["search"]["limit"], before["graphql"]["limit"]) == (
            5000,
            30,
            5000,
        )
        answer = http.post("/graphql", json={"query": "{ viewer { login } }"})
        assert answer.headers["x-ratelimit-resource"] == "graphql"
        listed = http.get(LIST, params=ALL)
        assert listed.headers["x-ratelimit-resource"] == "core"
        after = http.get("/rate_limit").json()["resources"]
    assert after["graphql"]["used"] == before["graphql"]["used"] + 1
    assert after["core"]["used"] == before["core"]["used"] + 1  # the list only; /rate_limit is free


def test_graphql_reads_the_board_and_moves_items(served: Served, emulator: GithubEmulator) -> None:
    query = """query($after: ID) { organization(login: "acme") { projectV2(number: 1) { id
        items(first: 3) { totalCount nodes { id content { ... on Issue { number } } } } } } }"""
    board = graphql(served, query.replace("($after: ID)", ""))["data"]["organization"]["projectV2"]
    first, second, third = board["items"]["nodes"]
    mutation = """mutation($p: ID!, $i: ID!, $a: ID) { updateProjectV2ItemPosition(
        input: {projectId: $p, itemId: $i, afterId: $a}) { clientMutationId } }"""
    assert "errors" not in graphql(served, mutation, {"p": board["id"], "i": third["id"], "a": None})
    assert [i.content_id for i in emulator.world.project.items[:3]] == [  # type: ignore[union-attr]
        third["id"].removeprefix("PVTI_"),
        first["id"].removeprefix("PVTI_"),
        second["id"].removeprefix("PVTI_"),
    ]
    assert emulator.log[-1]["mutating"] and emulator.log[-1]["operation"]["type"] == "mutation"


def test_graphql_errors_have_githubs_shape(served: Served) -> None:
    missing = graphql(served, '{ organization(login: "acme") { projectV2(number: 9) { id } } }')
    assert missing["errors"][0]["type"] == "NOT_FOUND" and missing["errors"][0]["path"] == [
        "organization",
        "projectV2",
    ]
    unbounded = graphql(
        served, '{ organization(login: "acme") { projectV2(number: 1) { items { totalCount } } } }'
    )
    assert "first" in unbounded["errors"][0]["message"]
    invalid = graphql(served, "{ nothing }")
    assert invalid["errors"][0]["message"] and "data" not in invalid


def test_sandbox_state_edit_and_reset(served: Served) -> None:
    state = control(served, "/_sandbox/state")
    on_board = [i for i in state["items"] if i["order"] is not None]
    assert on_board and all("project_item_id" in i["fields"] for i in on_board)
    target = on_board[-1]
    edited = control(
        served,
        "/_sandbox/edit",
        {
            "key": target["key"],
            "move": {"after": None},
            "set": {"Priority score": 12.5, "status_category": "done"},
        },
    )
    assert edited["order"] == 0 and edited["fields"]["Priority score"] == 12.5
    assert edited["status_category"] == "done" and edited["updated"] >= target["updated"]
    assert control(served, "/_sandbox/edit", {"key": target["key"], "delete": True}) == {
        "deleted": target["key"]
    }
    assert target["key"] not in {i["key"] for i in control(served, "/_sandbox/state")["items"]}
    assert control(served, "/_sandbox/reset", {}) == {"cleared": True}
    assert control(served, "/_sandbox/requests") == []


def test_graphql_pages_backward_with_last_and_before(served: Served) -> None:
    """GitHub's connections page both ways (GraphQL Cursor Connections: the rows between ``after`` and
    ``before``, then the first ``first`` or the last ``last``): walking back from the end with ``last`` and
    ``before`` meets the same items as walking forward, in the same order."""
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
      organization(login: "acme") { projectV2(number: 1) {
        items(first: $first, after: $after, last: $last, before: $before) {
          totalCount nodes { id }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""

    def items(**variables: Any) -> dict[str, Any]:
        body = graphql(served, query, variables)
        assert "errors" not in body, body
        return body["data"]["organization"]["projectV2"]["items"]  # type: ignore[no-any-return]

    forward: list[str] = []
    after = None
    while True:
        page = items(first=4, after=after)
        forward += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(forward) == page["totalCount"] > 8
    backward: list[str] = []
    before = None
    while True:
        page = items(last=3, before=before)
        backward = [n["id"] for n in page["nodes"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backward == forward
    tail = items(last=2)
    assert [n["id"] for n in tail["nodes"]] == forward[-2:]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    between = items(first=10, after=tail["pageInfo"]["startCursor"], before=None)
    assert [n["id"] for n in between["nodes"]] == forward[-1:]
    window = items(last=10, after=forward_cursor(items(first=1)), before=tail["pageInfo"]["startCursor"])
    assert [n["id"] for n in window["nodes"]] == forward[1:-2][-10:]
    both = graphql(served, query, {"first": 1, "last": 1})
    assert "Passing both `first` and `last`" in both["errors"][0]["message"]


def forward_cursor(page: dict[str, Any]) -> str:
    return str(page["pageInfo"]["endCursor"])
