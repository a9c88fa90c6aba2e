"""GitHub's documented list parameters on the emulator over real HTTP (rest-api.issues-subset.openapi.json:
``issues/list-for-repo``, ``issues/list-comments``, ``issues/list-milestones``,
``issues/list-labels-for-repo``): each one given changes the answer as documented; the one it does not
produce answers 501."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.github import GithubEmulator
from sandbox.serving import Served
from tests.github.test_emulator import client

LIST = "/repos/acme/app/issues"


def numbers(http: httpx.Client, **params: Any) -> list[int]:
    """Every issue number of the filtered list, through its Link pages."""
    found: list[int] = []
    url: str | None = LIST
    query: dict[str, Any] | None = {"state": "all", "per_page": 100, **params}
    while url:
        response = http.get(url, params=query)
        assert response.status_code == 200, response.text
        found += [issue["number"] for issue in response.json()]
        url, query = response.links.get("next", {}).get("url"), None
    return found


def test_issue_filters_select_what_github_documents(served: Served, emulator: GithubEmulator) -> None:
    app = [i for i in emulator.world.issues.values() if i.repo == "acme/app"]
    with client(served) as http:
        every = set(numbers(http))
        assert every == {i.number for i in app}
        assert set(numbers(http, milestone=2)) == {i.number for i in app if i.milestone == 2}
        assert set(numbers(http, milestone="none")) == {i.number for i in app if i.milestone is None}
        assert set(numbers(http, milestone="*")) == {i.number for i in app if i.milestone is not None}
        login = next(i.assignees[0] for i in app if i.assignees)
        assert set(numbers(http, assignee=login)) == {i.number for i in app if login in i.assignees}
        assert set(numbers(http, assignee="none")) == {i.number for i in app if not i.assignees}
        author = app[0].author
        assert set(numbers(http, creator=author)) == {i.number for i in app if i.author == author}
        assert set(numbers(http, type="none")) == every and numbers(http, type="*") == []  # no issue types
        assert http.get(LIST, params={"milestone": "999"}).status_code == 422
        target = app[3]
        assert target.number not in numbers(http, mentioned="octo-reviewer")
        posted = http.post(
            f"{LIST}/{target.number}/comments", json={"body": "cc @octo-reviewer, please look"}
        )
        assert posted.status_code == 201
        assert numbers(http, mentioned="octo-reviewer") == [target.number]
        assert numbers(http, mentioned="octo") == []  # a mention is the whole login
        by_number = {i.number: i for i in app}
        counts = [len(by_number[n].comments) for n in numbers(http, sort="comments", direction="desc")]
        assert counts == sorted(counts, reverse=True) and counts[0] >= 1
        created = numbers(http, sort="created", direction="asc")
        assert created == [i.number for i in sorted(app, key=lambda i: (i.created_at, i.number))]
        refused = http.get(LIST, params={"issue_field_values": "1:high"})
        assert refused.status_code == 501 and "issue_field_values=1:high" in refused.json()["message"]


def test_comments_since_and_pages(served: Served, emulator: GithubEmulator) -> None:
    issue = next(i for i in emulator.world.issues.values() if i.repo == "acme/app")
    path = f"{LIST}/{issue.number}/comments"
    with client(served) as http:
        before = len(http.get(path).json())
        stamps = []
        for n in range(5):
            posted = http.post(path, json={"body": f"note {n}"}).json()
            stamps.append(posted["created_at"])
        everything = http.get(path, params={"per_page": 2})
        assert len(everything.json()) == 2 and 'rel="next"' in everything.headers["Link"]
        later = http.get(path, params={"since": stamps[-1], "per_page": 100}).json()
        assert later and all(c["created_at"] >= stamps[-1] for c in later)
        assert len(http.get(path, params={"per_page": 100}).json()) == before + 5


def test_milestones_state_sort_and_direction(served: Served, emulator: GithubEmulator) -> None:
    repo = emulator.world.repos["acme/app"]
    with client(served) as http:
        listed = http.get("/repos/acme/app/milestones", params={"state": "all"}).json()
        assert {m["number"] for m in listed} == set(repo.milestones)
        due = [m["due_on"] for m in listed if m["due_on"]]
        assert due == sorted(due)  # due_on ascending by default, undated last
        backward = http.get("/repos/acme/app/milestones", params={"state": "all", "direction": "desc"}).json()
        assert [m["number"] for m in backward] == [m["number"] for m in reversed(listed)]
        done = http.get("/repos/acme/app/milestones", params={"state": "all", "sort": "completeness"}).json()
        ratios = [m["closed_issues"] / max(1, m["open_issues"] + m["closed_issues"]) for m in done]
        assert ratios == sorted(ratios)
        one = http.get("/repos/acme/app/labels", params={"per_page": 1})
        assert len(one.json()) == 1 and 'rel="last"' in one.headers["Link"]
