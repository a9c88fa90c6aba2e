"""The spec-conformance helpers catch what they are meant to catch, and pass what is documented."""

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from tests import specs
from tests.specs_base import load_spec

Call = Callable[..., dict[str, Any]]

DOCUMENTED_CALLS = {
    "github": [
        ("GET", "/repos/acme/app/issues", {"state": ["all"], "sort": ["updated"], "per_page": ["100"]}),
        ("GET", "/repos/acme/app/issues", {"since": ["2024-01-01T00:00:00Z"], "page": ["2"]}),
        ("PATCH", "/repos/acme/app/issues/7", {}),
        ("POST", "/repos/acme/app/issues/7/comments", {}),
        ("GET", "/search/issues", {"q": ["repo:acme/app"], "per_page": ["50"]}),
        ("GET", "/rate_limit", {}),
    ],
    "jira": [
        (
            "GET",
            "/rest/api/3/search/jql",
            {"jql": ["updated >= x"], "nextPageToken": ["t"], "fields": ["*all"]},
        ),
        ("GET", "/rest/api/2/issue/ENG-1", {"fields": ["summary"]}),
        ("PUT", "/rest/api/3/issue/ENG-1", {}),
        ("POST", "/rest/api/3/issue/ENG-1/transitions", {}),
        ("PUT", "/rest/agile/1.0/issue/rank", {}),
        ("GET", "/rest/agile/1.0/board/3/backlog", {"startAt": ["0"], "maxResults": ["50"]}),
        ("GET", "/rest/api/3/field", {}),
    ],
    "zendesk": [
        ("GET", "/api/v2/incremental/tickets/cursor.json", {"start_time": ["0"], "per_page": ["1000"]}),
        ("GET", "/api/v2/incremental/tickets/cursor", {"cursor": ["abc"], "include": ["users"]}),
        ("GET", "/api/v2/tickets/show_many.json", {"ids": ["1,2"]}),
        ("PUT", "/api/v2/tickets/12.json", {}),
        ("GET", "/api/v2/ticket_fields", {}),
        ("GET", "/api/v2/jira/links", {"filter[ticket_id]": ["12"], "page[size]": ["100"]}),
    ],
}
IGNORED_CALLS = [("GET", "/_sandbox/requests", {"anything": ["1"]}), ("POST", "/graphql", {"x": ["1"]})]


# --- REST calls --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", sorted(DOCUMENTED_CALLS))
def test_documented_calls_pass(service: str, call: Call) -> None:
    log = [call(m, p, q) for m, p, q in DOCUMENTED_CALLS[service] + IGNORED_CALLS]
    specs.assert_documented_calls(service, log)


@pytest.mark.parametrize(
    ("service", "method", "path"),
    [
        ("github", "GET", "/repos/acme/app/tickets"),
        ("jira", "GET", "/rest/api/3/issues/ENG-1"),
        ("zendesk", "GET", "/api/v2/ticketz.json"),
        ("linear", "GET", "/issues"),
    ],
)
def test_undocumented_path_fails(service: str, method: str, path: str, call: Call) -> None:
    with pytest.raises(AssertionError, match="not a documented endpoint") as failure:
        specs.assert_documented_calls(service, [call(method, path)])
    assert path in str(failure.value)


@pytest.mark.parametrize(
    ("service", "method", "path", "param"),
    [
        ("github", "GET", "/repos/acme/app/issues", "updated_since"),
        ("github", "GET", "/repos/acme/app/issues/7", "per_page"),  # not listed there: exact, not lenient
        ("jira", "GET", "/rest/api/3/search/jql", "startAt"),
        ("zendesk", "GET", "/api/v2/tickets/show_many.json", "page[size]"),
    ],
)
def test_undocumented_query_parameter_fails(
    service: str, method: str, path: str, param: str, call: Call
) -> None:
    with pytest.raises(AssertionError, match="not documented for") as failure:
        specs.assert_documented_calls(service, [call(method, path, {param: ["1"]})])
    assert repr(param) in str(failure.value)


def test_failure_lists_every_offending_call(call: Call) -> None:
    log = [
        call("GET", "/repos/acme/app/issues", {"bogus": ["1"]}),
        call("DELETE", "/rate_limit"),
        call("GET", "/nowhere"),
        call("GET", "/nowhere"),
        call("GET", "/repos/acme/app/issues"),
    ]
    with pytest.raises(AssertionError) as failure:
        specs.assert_documented_calls("github", log)
    message = str(failure.value)
    assert message.startswith("3 undocumented github call(s)")
    assert "['bogus']" in message
    assert "DELETE /rate_limit: not a documented endpoint (documented methods for this path: GET)" in message
    assert "GET /nowhere: not a documented endpoint (x2)" in message


def test_deprecated_endpoint_fails_unless_allowed(call: Call) -> None:
    log = [call("GET", "/rest/api/3/search", {"jql": ["project = ENG"]})]
    with pytest.raises(AssertionError, match="/rest/api/3/search is deprecated"):
        specs.assert_documented_calls("jira", log)
    specs.assert_documented_calls("jira", log, allow_deprecated={("GET", "/rest/api/3/search")})


@pytest.mark.parametrize(
    ("service", "method", "path", "template"),
    [
        ("jira", "GET", "/rest/api/2/issue/ENG-1", "/rest/api/3/issue/{issueIdOrKey}"),
        ("jira", "PUT", "/rest/agile/1.0/issue/rank", "/rest/agile/1.0/issue/rank"),
        ("zendesk", "GET", "/api/v2/tickets/show_many.json", "/api/v2/tickets/show_many"),
        ("zendesk", "GET", "/api/v2/tickets/5.json", "/api/v2/tickets/{ticket_id}"),
        ("github", "GET", "/repos/acme/app/labels/bug%20fix", "/repos/{owner}/{repo}/labels/{name}"),
        ("github", "GET", "/repos/acme/app/compare/main...dev", "/repos/{owner}/{repo}/compare/{basehead}"),
    ],
)
def test_find_endpoint_matches_templates(service: str, method: str, path: str, template: str) -> None:
    endpoint = specs.find_endpoint(service, method, path)
    assert endpoint is not None
    assert endpoint["path"] == template


def test_find_endpoint_keeps_segments_apart() -> None:
    assert specs.find_endpoint("github", "GET", "/repos/acme/app/issues/7/extra/segment") is None
    assert specs.find_endpoint("github", "GET", "/repos/acme/app/issue/7") is None
    assert specs.find_endpoint("github", "GET", "/repos/acme/app/issues.json") is None  # GitHub paths as-is


# --- GraphQL -----------------------------------------------------------------------------------------------
VALID_DOCUMENTS = {
    "linear": """
        query Issues($after: String) {
          issues(first: 50, after: $after, orderBy: updatedAt) {
            nodes {
              id identifier title priority sortOrder updatedAt
              state { name type }
              labels { nodes { name } }
            }
            pageInfo { hasNextPage endCursor }
          }
        }""",
    "github": """
        query Items($project: ID!) {
          node(id: $project) {
            ... on ProjectV2 { items(first: 100) { nodes { id fieldValues(first: 20) { nodes {
              ... on ProjectV2ItemFieldNumberValue { number }
            } } } } }
          }
          rateLimit { remaining resetAt }
        }""",
}


@pytest.mark.parametrize("service", sorted(VALID_DOCUMENTS))
def test_valid_document_passes(service: str) -> None:
    specs.assert_valid_document(service, VALID_DOCUMENTS[service])


@pytest.mark.parametrize("service", sorted(VALID_DOCUMENTS))
def test_unknown_field_fails_validation(service: str) -> None:
    document = VALID_DOCUMENTS[service].replace("remaining", "remainingPoints").replace("priority", "urgency")
    with pytest.raises(AssertionError, match="Cannot query field") as failure:
        specs.assert_valid_document(service, document)
    assert "not valid against the official" in str(failure.value)


def test_syntax_error_fails_validation() -> None:
    with pytest.raises(AssertionError, match="does not parse"):
        specs.assert_valid_document("linear", "query { issues(first: 1) { nodes { id }")


LINEAR_SUBSET = """
    type Issue implements Node {
      id: ID!
      title: String!
      priority: Float!
      sortOrder: Float!
      parent: Issue
      updatedAt: DateTime!
      labels(first: Int, after: String): IssueLabelConnection!
    }
    interface Node { id: ID! }
    input IssueUpdateInput { priority: Int, sortOrder: Float, stateId: String }
    enum PaginationOrderBy { updatedAt }
    scalar DateTime
    extend type Query { issue(id: String!): Issue! }
"""


def test_true_subset_passes() -> None:
    specs.assert_schema_subset(LINEAR_SUBSET, "linear")
    specs.assert_schema_subset("union ProjectV2ItemFieldValue = ProjectV2ItemFieldNumberValue", "github")


def test_built_schema_subset_passes() -> None:
    ours = build_schema("type Query { viewer: User! }  type User { login: String! }")
    specs.assert_schema_subset(ours, "github")


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        (("priority: Float!", "priority: Int!"), "Issue.priority: type Int!, official Float!"),
        (("parent: Issue", "parent: Issue!"), "Issue.parent: type Issue!, official Issue"),
        (("{ updatedAt }", "{ updatedAt rank }"), "PaginationOrderBy: enum value rank not in the official"),
        (("first: Int,", "first: String,"), "Issue.labels(first:): type String, official Int"),
        (("after: String)", "after: String, top: Int)"), "Issue.labels(top:): no such argument"),
        (("stateId: String", "stateId: ID"), "IssueUpdateInput.stateId: input type ID, official String"),
        (("sortOrder: Float!\n", "sortOrder: Float!\n      rank: Float\n"), "Issue.rank: no such field"),
        (
            ("input IssueUpdateInput", "type IssueUpdateInput"),
            "we declare kind object, the official schema has kind input",
        ),
        (("scalar DateTime", "scalar DateTime  type Ranking { id: ID! }"), "Ranking: no such type"),
    ],
)
def test_schema_difference_fails(change: tuple[str, str], difference: str) -> None:
    assert change[0] in LINEAR_SUBSET
    with pytest.raises(AssertionError, match="not a subset") as failure:
        specs.assert_schema_subset(LINEAR_SUBSET.replace(*change), "linear")
    assert difference in str(failure.value)


def test_schema_subset_lists_all_differences() -> None:
    ours = LINEAR_SUBSET.replace("priority: Float!", "priority: Int!").replace("{ updatedAt }", "{ rank }")
    with pytest.raises(AssertionError, match=r"\(2 difference\(s\)\)"):
        specs.assert_schema_subset(ours, "linear")
    union = "union ProjectV2ItemFieldValue = ProjectV2ItemFieldNumberValue | ProjectV2ItemFieldScoreValue"
    with pytest.raises(AssertionError, match="union member ProjectV2ItemFieldScoreValue"):
        specs.assert_schema_subset(union, "github")


def test_graphql_schema_is_built_once() -> None:
    assert specs.graphql_schema("github") is specs.graphql_schema("github")
    with pytest.raises(ValueError, match="no official GraphQL schema"):
        specs.graphql_schema("zendesk")


# --- OpenAPI responses, requests and examples -----------------------------------------------------------
def test_spec_examples_return_the_named_examples() -> None:
    issue = specs.spec_examples("github", "issue")
    assert len(issue) == 1 and issue[0]["number"] == 1347
    items = specs.spec_examples("github", "issue-items")
    assert isinstance(items[0], list) and items[0][0]["title"]
    ticket = specs.spec_examples("zendesk", "TicketResponseExample")[0]
    assert ticket["ticket"]["id"]
    export = specs.spec_examples("zendesk", "CursorBasedExportIncrementalTicketsResponseExample")[0]
    assert {"tickets", "after_cursor", "end_of_stream"} <= set(export)
    assert specs.spec_examples("zendesk", "TicketsResponseExample")[0]["tickets"]


def test_spec_examples_are_copies_and_must_exist() -> None:
    specs.spec_examples("github", "issue")[0]["title"] = "changed by a test"
    assert specs.spec_examples("github", "issue")[0]["title"] != "changed by a test"
    with pytest.raises(AssertionError, match="no example named 'no-such-example'"):
        specs.spec_examples("github", "no-such-example")


@pytest.mark.parametrize(
    ("service", "method", "path", "example"),
    [
        ("github", "GET", "/repos/{owner}/{repo}/issues/{issue_number}", "issue"),
        ("github", "GET", "/repos/acme/app/issues", "issue-items"),
        ("zendesk", "GET", "/api/v2/tickets/{ticket_id}", "TicketResponseExample"),
        ("zendesk", "GET", "/api/v2/tickets.json", "TicketsResponseExample"),
        (
            "zendesk",
            "GET",
            "/api/v2/incremental/tickets/cursor",
            "CursorBasedExportIncrementalTicketsResponseExample",
        ),
    ],
)
def test_spec_examples_match_their_responses(service: str, method: str, path: str, example: str) -> None:
    for body in specs.spec_examples(service, example):
        specs.assert_response_matches(service, method, path, 200, body)


def test_response_missing_required_property_fails() -> None:
    issue = specs.spec_examples("github", "issue")[0]
    del issue["title"]
    with pytest.raises(AssertionError, match="'title' is a required property"):
        specs.assert_response_matches(
            "github", "GET", "/repos/{owner}/{repo}/issues/{issue_number}", 200, issue
        )
    ticket = specs.spec_examples("zendesk", "TicketResponseExample")[0]
    del ticket["ticket"]["requester_id"]
    with pytest.raises(AssertionError, match=r"at \$\.ticket: 'requester_id' is a required property"):
        specs.assert_response_matches("zendesk", "GET", "/api/v2/tickets/1.json", 200, ticket)


def test_nullable_properties_accept_null_only_where_documented() -> None:
    issue = specs.spec_examples("github", "issue")[0]
    issue.update(milestone=None, closed_at=None, assignee=None, state_reason=None)
    specs.assert_response_matches("github", "GET", "/repos/acme/app/issues/1", 200, issue)
    with pytest.raises(AssertionError, match=r"at \$\.title: None is not of type 'string'"):
        specs.assert_response_matches(
            "github", "GET", "/repos/acme/app/issues/1", 200, {**issue, "title": None}
        )


def test_jira_responses_validate_against_the_file_that_owns_the_path() -> None:
    issue = {"id": "10001", "key": "ENG-1", "self": "https://x/rest/api/3/issue/10001", "fields": {}}
    specs.assert_response_matches("jira", "GET", "/rest/api/3/issue/{issueIdOrKey}", 200, issue)
    specs.assert_response_matches("jira", "GET", "/rest/api/2/issue/ENG-1", 200, issue)
    backlog = {"startAt": 0, "maxResults": 50, "total": 1, "issues": [issue]}
    specs.assert_response_matches("jira", "GET", "/rest/agile/1.0/board/{boardId}/backlog", 200, backlog)
    specs.assert_response_matches("jira", "PUT", "/rest/agile/1.0/issue/rank", 204, None)
    with pytest.raises(AssertionError, match=r"at \$\.id: 10001 is not of type 'string'"):
        specs.assert_response_matches("jira", "GET", "/rest/api/3/issue/ENG-1", 200, {**issue, "id": 10001})
    with pytest.raises(AssertionError, match="documents no body"):
        specs.assert_response_matches("jira", "PUT", "/rest/agile/1.0/issue/rank", 204, {"ok": True})


def test_error_responses_follow_response_refs() -> None:
    body = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
    specs.assert_response_matches("github", "GET", "/repos/acme/app/issues/9", 404, body)
    with pytest.raises(AssertionError, match="is not of type 'string'"):
        specs.assert_response_matches("github", "GET", "/repos/acme/app/issues/9", 404, {"message": 404})
    with pytest.raises(AssertionError, match="status not documented"):
        specs.assert_response_matches("github", "GET", "/repos/acme/app/issues/9", 418, body)
    with pytest.raises(AssertionError, match="no operation DELETE /rate_limit"):
        specs.assert_response_matches("github", "DELETE", "/rate_limit", 200, {})


def test_request_bodies_validate() -> None:
    path = "/repos/{owner}/{repo}/issues/{issue_number}"
    specs.assert_request_matches("github", "PATCH", path, {"state": "closed", "state_reason": None})
    with pytest.raises(AssertionError, match="'bogus' is not one of"):
        specs.assert_request_matches("github", "PATCH", path, {"state": "bogus"})


def test_openapi_documents() -> None:
    merged = specs.openapi("jira")
    assert "/rest/api/3/search/jql" in merged["paths"] and "/rest/agile/1.0/issue/rank" in merged["paths"]
    assert "/rest/agile/1.0/issue/rank" not in specs.openapi("jira", "platform")["paths"]
    assert specs.openapi("jira", "agile")["paths"]["/rest/agile/1.0/issue/rank"]["put"]
    assert specs.openapi("zendesk")["openapi"].startswith("3.")
    assert specs.openapi("github") is specs.openapi("github")
    with pytest.raises(ValueError, match="no OpenAPI description"):
        specs.openapi("linear")


def test_files_are_parsed_once() -> None:
    path = specs.spec_path("github", "rest-api.issues-subset.openapi.json")
    assert load_spec(path) is load_spec(copy.copy(path))
    assert specs.rest_index("jira") is specs.rest_index("jira")


# --- missing specs ------------------------------------------------------------------------------------------
def test_missing_specs_skip_with_a_reason(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RANKBRIDGE_SPECS", str(tmp_path / "apispecs"))
    monkeypatch.delenv("RANKBRIDGE_REQUIRE_SPECS", raising=False)
    expected = re.escape(f"official API specs not found at {tmp_path / 'apispecs'}: put ../shared/apispecs")
    for use in (lambda: specs.rest_index("github"), lambda: specs.graphql_schema("linear")):
        with pytest.raises(pytest.skip.Exception, match=expected):
            use()


def test_missing_spec_file_skips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RANKBRIDGE_SPECS", str(tmp_path))
    monkeypatch.delenv("RANKBRIDGE_REQUIRE_SPECS", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"rest-endpoints\.json"):
        specs.assert_documented_calls("zendesk", [{"method": "GET", "path": "/api/v2/tickets", "query": {}}])


def test_missing_specs_fail_when_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RANKBRIDGE_SPECS", str(tmp_path))
    monkeypatch.setenv("RANKBRIDGE_REQUIRE_SPECS", "1")
    with pytest.raises(pytest.fail.Exception, match="official API specs not found at"):
        specs.spec_examples("github", "issue")
    with pytest.raises(pytest.fail.Exception, match=re.escape("put ../shared/apispecs beside the checkout")):
        specs.spec_path("jira", "platform.subset.openapi.json")
