"""The GitHub connector and emulator against GitHub's official descriptions (../shared/apispecs/github):
GraphQL documents validate, our SDL is a subset of GitHub's schema, every REST call is documented (and in
the issues OpenAPI subset), and emulator responses match the response schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import httpx
import pytest

from connectors.github import GithubConnector
from sandbox.github import GithubEmulator
from sandbox.github.graphql import schema_sdl
from sandbox.serving import Served
from sync.model import Op, OpKind
from tests.github.conftest import TOKEN
from tests.specs import (
    assert_documented_calls,
    assert_response_matches,
    assert_schema_matches,
    assert_schema_subset,
    assert_valid_document,
)
from tests.specs_openapi import find_operation

DOCUMENTS = ["project", "mutations", "viewer"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_graphql_documents_validate_against_githubs_schema(name: str) -> None:
    document = resources.files("connectors.github").joinpath(f"{name}.graphql").read_text()
    assert_valid_document("github", document)


def test_emulator_schema_is_a_subset_of_githubs() -> None:
    assert_schema_subset(schema_sdl(), "github")


def exercise(connector: GithubConnector) -> None:
    """Every kind of request the connector makes: pulls, writes, verify, check."""
    started = datetime.now(UTC)
    for stream in connector.streams():
        list(connector.pull(stream, None, started))
    target = connector.current_order("project:acme/1")[0]
    ops = [
        Op("gh", OpKind.STATUS, "s", {"item": target, "category": "done"}, {}, "t", "a"),
        Op("gh", OpKind.COMMENT, "s", {"item": target, "body": "note", "public": False}, {}, "t", "b"),
        Op("gh", OpKind.TAGS, "s", {"items": [target], "tags": ["rb"]}, {}, "t", "c"),
    ]
    for op in ops:
        connector.apply(op)
    connector.verify(ops)
    connector.check()


def test_every_rest_call_is_documented_and_in_the_issues_subset(
    connector: GithubConnector, emulator: GithubEmulator
) -> None:
    exercise(connector)
    rest = [r for r in emulator.log if r["path"] != "/graphql"]
    assert {r["method"] for r in rest} == {"GET", "PATCH", "POST"}
    assert_documented_calls("github", emulator.log)
    for call in rest:
        find_operation("github", call["method"], call["path"])  # raises when the subset lacks it


def test_pygithub_calls_are_documented_too(served: Served, emulator: GithubEmulator) -> None:
    from github import Auth, Github

    gh = Github(
        base_url=served.url,
        auth=Auth.Token(TOKEN),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=100,
    )
    repo = gh.get_repo("acme/app")
    issues = list(
        repo.get_issues(state="all", since=datetime(2025, 1, 1, tzinfo=UTC), sort="updated", direction="asc")
    )
    repo.get_issue(1).edit(state="closed", state_reason="completed")
    assert len(issues) > 20 and [m.title for m in repo.get_milestones()] and list(repo.get_labels())
    gh.close()
    assert_documented_calls("github", emulator.log)


def test_emulator_responses_match_the_response_schemas(served: Served) -> None:
    with httpx.Client(base_url=served.url, headers={"Authorization": f"token {TOKEN}"}, timeout=10) as http:
        checks = [
            (
                "GET",
                "/repos/{owner}/{repo}/issues",
                http.get("/repos/acme/app/issues", params={"state": "all"}),
            ),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", http.get("/repos/acme/app/issues/1")),
            (
                "PATCH",
                "/repos/{owner}/{repo}/issues/{issue_number}",
                http.patch(
                    "/repos/acme/app/issues/1", json={"state": "closed", "state_reason": "not_planned"}
                ),
            ),
            (
                "POST",
                "/repos/{owner}/{repo}/issues/{issue_number}/comments",
                http.post("/repos/acme/app/issues/1/comments", json={"body": "hello"}),
            ),
            (
                "POST",
                "/repos/{owner}/{repo}/issues/{issue_number}/labels",
                http.post("/repos/acme/app/issues/1/labels", json={"labels": ["rb"]}),
            ),
            ("GET", "/repos/{owner}/{repo}/labels", http.get("/repos/acme/app/labels")),
            ("GET", "/repos/{owner}/{repo}/milestones", http.get("/repos/acme/app/milestones")),
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}", http.get("/repos/acme/app/issues/999999")),
            ("GET", "/rate_limit", http.get("/rate_limit")),
        ]
    for method, template, response in checks:
        assert_response_matches("github", method, template, response.status_code, response.json())


def test_repository_has_every_property_the_repository_schema_requires(served: Served) -> None:
    """``GET /repos/{owner}/{repo}`` against ``#/components/schemas/repository`` of
    rest-api.issues-subset.openapi.json: every required property, each of the documented type."""
    with httpx.Client(base_url=served.url, headers={"Authorization": f"token {TOKEN}"}, timeout=10) as http:
        response = http.get("/repos/acme/app")
    assert response.status_code == 200
    body = response.json()
    assert_schema_matches("github", "repository", body, "github GET /repos/{owner}/{repo} 200 response")
    assert body["full_name"] == "acme/app"
    assert body["issues_url"].endswith("/repos/acme/app/issues{/number}")
    assert body["open_issues_count"] == body["open_issues"] > 0
