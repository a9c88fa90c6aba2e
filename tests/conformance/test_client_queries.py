"""Queries other clients of Linear's and GitHub's GraphQL APIs typically send: each validates against the
official schema (shared/apispecs/linear/schema.graphql types Query, Issue, IssueFilter, User,
WorkflowState, IssueLabel, Comment; shared/apispecs/github/graphql-schema.dedup.graphql types Query,
Repository, IssueConnection, PullRequestConnection, IssueOrder, PullRequestState) AND runs on the emulator
over HTTP without errors, with fields the sandbox has no data for answering null or an empty list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.github import GithubEmulator
from sandbox.linear import LinearEmulator
from sandbox.serving import Served, serve
from tests.specs import assert_schema_subset, assert_valid_document

LINEAR_TOKEN = "lin_api_client_queries"
GITHUB_TOKEN = "ghp_client_queries_token"

# The listing the linear-api SDK's `client.issues()` and sync scripts send: timestamps of each state change.
LINEAR_ISSUE_LISTING = """
query Issues($first: Int, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {
    nodes {
      id identifier title description priority priorityLabel estimate dueDate url branchName
      createdAt updatedAt startedAt completedAt canceledAt archivedAt autoArchivedAt autoClosedAt
      snoozedUntilAt subIssueSortOrder labelIds previousIdentifiers
      state { id name type }
      team { id key name }
      assignee { id name email }
      parent { id identifier }
      labels { nodes { id name color } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

LINEAR_ISSUE_DETAIL = """
query Issue($id: String!) {
  issue(id: $id) {
    id identifier title completedAt
    children(first: 50) { nodes { id identifier completedAt state { type } } pageInfo { hasNextPage } }
    comments(first: 20) { nodes { id body createdAt user { id name } } pageInfo { hasNextPage } }
    subscribers { nodes { id } }
  }
}
"""

LINEAR_WORKSPACE = """
query Workspace {
  viewer { id name email active }
  users(first: 100) { nodes { id name displayName email active createdAt } }
  workflowStates(first: 100, filter: { type: { eq: "completed" } }) { nodes { id name type team { key } } }
  issueLabels(first: 100) { nodes { id name color description } pageInfo { hasNextPage } }
}
"""

GITHUB_REPOSITORY_ISSUES = """
query RepoIssues($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    nameWithOwner url
    issues(first: 50, after: $after, orderBy: { field: CREATED_AT, direction: ASC }) {
      totalCount
      nodes { number title state closedAt labels(first: 10) { nodes { name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

GITHUB_REPOSITORY_PULLS = """
query RepoPulls($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    open: issues(first: 100, states: [OPEN]) { totalCount nodes { number state } }
    issue(number: $number) { number title state stateReason url author { login } }
    pullRequests(first: 20, states: [OPEN, CLOSED], orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      nodes { number title state closed updatedAt url }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

LINEAR_DOCUMENTS = [LINEAR_ISSUE_LISTING, LINEAR_ISSUE_DETAIL, LINEAR_WORKSPACE]
GITHUB_DOCUMENTS = [GITHUB_REPOSITORY_ISSUES, GITHUB_REPOSITORY_PULLS]


@pytest.mark.parametrize("document", LINEAR_DOCUMENTS)
def test_linear_client_queries_are_valid_against_the_official_schema(document: str) -> None:
    assert_valid_document("linear", document)


@pytest.mark.parametrize("document", GITHUB_DOCUMENTS)
def test_github_client_queries_are_valid_against_the_official_schema(document: str) -> None:
    assert_valid_document("github", document)


def test_the_emulator_schemas_stay_subsets_of_the_official_ones() -> None:
    from sandbox.github.graphql import schema_sdl
    from sandbox.linear.resolvers import sdl

    assert_schema_subset(sdl(), "linear")
    assert_schema_subset(schema_sdl(), "github")


@pytest.fixture(scope="module")
def linear() -> Iterator[Served]:
    emulator = LinearEmulator(LINEAR_TOKEN)
    running = serve(emulator)
    emulator.generate(120, 5, [])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def github() -> Iterator[Served]:
    emulator = GithubEmulator(GITHUB_TOKEN)
    running = serve(emulator)
    emulator.generate(130, 5, [])
    yield running
    running.stop()


def _linear(served: Served, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = httpx.post(
        f"{served.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": LINEAR_TOKEN},
    )
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def _github(served: Served, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(
        f"{served.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {GITHUB_TOKEN}"},
    )
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def _all_issues(served: Served, filter_: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every page of the listing, 50 at a time (100 of these issues cost over Linear's 10,000 points)."""
    issues: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"first": 50, "after": after, "filter": filter_}
        page = _linear(served, LINEAR_ISSUE_LISTING, variables)["issues"]
        issues += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return issues
        after = page["pageInfo"]["endCursor"]


def test_linear_issue_listing_reports_when_each_issue_started_completed_or_was_canceled(
    linear: Served,
) -> None:
    issues = _all_issues(linear, None)
    emulator = linear.emulator
    assert isinstance(emulator, LinearEmulator)
    unarchived = [i for i in emulator.data.issues.values() if i["archivedAt"] is None]
    assert len(issues) == len(unarchived) > 50  # archived issues only with includeArchived, as Linear
    for issue in issues:
        kind = issue["state"]["type"]
        assert (issue["completedAt"] is not None) == (kind == "completed"), issue
        assert (issue["canceledAt"] is not None) == (kind == "canceled"), issue
        if kind == "started":
            assert issue["startedAt"] is not None, issue
        assert issue["autoArchivedAt"] is None and issue["snoozedUntilAt"] is None  # no data: null
        assert issue["branchName"].startswith(issue["identifier"].lower())
        assert issue["labelIds"] == [label["id"] for label in issue["labels"]["nodes"]]
    assert any(i["completedAt"] for i in issues) and any(i["canceledAt"] for i in issues)

    completed = _all_issues(linear, {"completedAt": {"null": False}})
    assert {i["id"] for i in completed} == {i["id"] for i in issues if i["completedAt"]}


def test_linear_issue_detail_lists_sub_issues_and_no_comments(linear: Served) -> None:
    listing = _all_issues(linear, None)
    parents = {i["parent"]["id"] for i in listing if i["parent"]}
    assert parents, "the generated workspace has sub-issues"
    parent_id = sorted(parents)[0]
    detail = _linear(linear, LINEAR_ISSUE_DETAIL, {"id": parent_id})["issue"]
    children = {c["id"] for c in detail["children"]["nodes"]}
    assert children == {i["id"] for i in listing if i["parent"] and i["parent"]["id"] == parent_id}
    assert detail["comments"]["nodes"] == [] and detail["subscribers"]["nodes"] == []


def test_linear_workspace_query_lists_people_states_and_labels(linear: Served) -> None:
    data = _linear(linear, LINEAR_WORKSPACE)
    assert data["viewer"]["id"] in {u["id"] for u in data["users"]["nodes"]}
    assert data["workflowStates"]["nodes"] and {s["type"] for s in data["workflowStates"]["nodes"]} == {
        "completed"
    }
    assert data["issueLabels"]["nodes"] and all(
        lb["description"] is None for lb in data["issueLabels"]["nodes"]
    )


def _repository(served: Served) -> tuple[str, str]:
    emulator = served.emulator
    assert isinstance(emulator, GithubEmulator)
    repo = next(iter(emulator.world.repos.values()))
    return repo.owner, repo.name


def test_github_repository_issues_page_through_every_issue_and_no_pull_request(github: Served) -> None:
    owner, name = _repository(github)
    emulator = github.emulator
    assert isinstance(emulator, GithubEmulator)
    expected = sorted(
        n for (full, n), i in emulator.world.issues.items() if full == f"{owner}/{name}" and not i.is_pull
    )
    numbers: list[int] = []
    after = None
    while True:
        data = _github(github, GITHUB_REPOSITORY_ISSUES, {"owner": owner, "name": name, "after": after})
        issues = data["repository"]["issues"]
        assert issues["totalCount"] == len(expected)
        numbers += [node["number"] for node in issues["nodes"]]
        if not issues["pageInfo"]["hasNextPage"]:
            break
        after = issues["pageInfo"]["endCursor"]
    assert len(expected) > 50, "more than one page"
    assert numbers == expected  # CREATED_AT ASC: creation order, which is number order here


def test_github_repository_answers_one_issue_and_its_pull_requests(github: Served) -> None:
    owner, name = _repository(github)
    emulator = github.emulator
    assert isinstance(emulator, GithubEmulator)
    mine = [i for (full, _), i in emulator.world.issues.items() if full == f"{owner}/{name}"]
    first_issue = min(i.number for i in mine if not i.is_pull)
    data = _github(github, GITHUB_REPOSITORY_PULLS, {"owner": owner, "name": name, "number": first_issue})
    repository = data["repository"]
    assert repository["issue"]["number"] == first_issue
    assert {n["state"] for n in repository["open"]["nodes"]} <= {"OPEN"}
    pulls = repository["pullRequests"]
    assert pulls["totalCount"] == sum(1 for i in mine if i.is_pull)
    updated = [p["updatedAt"] for p in pulls["nodes"]]
    assert updated == sorted(updated, reverse=True)


def test_github_unknown_repository_is_null_with_a_not_found_error(github: Served) -> None:
    answer = httpx.post(
        f"{github.url}/graphql",
        json={"query": GITHUB_REPOSITORY_ISSUES, "variables": {"owner": "acme", "name": "nope"}},
        headers={"Authorization": f"bearer {GITHUB_TOKEN}"},
    ).json()
    assert answer["data"] == {"repository": None}
    assert answer["errors"][0]["type"] == "NOT_FOUND"
