"""Conformance with Atlassian's descriptions (../shared/apispecs/jira): every request the connector (and
the jira library under it) sends is a documented, non-deprecated endpoint with documented parameters, its
JSON bodies validate, and the emulator's answers validate against the documented response schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from connectors.jira import JiraConnector
from sandbox.serving import Served
from sync.model import Op
from tests.jira.conftest import api_client, connector_for, control, emulator_of
from tests.specs import assert_documented_calls, assert_request_matches, assert_response_matches

Captured = list[tuple[str, str, Any]]


def capture(connector: JiraConnector) -> Captured:
    """Record (method, path, JSON body) of every request the connector's session sends."""
    seen: Captured = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = json.loads(request.body) if request.body else None
        seen.append((str(request.method), urlsplit(str(request.url)).path, body))

    connector.client.session.hooks["response"].append(hook)
    return seen


def exercise(served: Served) -> Captured:
    """Everything the connector does in a sync, on a fresh emulator: pull in pages, read the order, rank
    (with a lazily found Rank field and a 207), set the score, transition, comment, tag, verify, check."""
    connector = connector_for(served, rank_field=None, max_results=15)
    seen = capture(connector)
    try:
        for _ in connector.pull("issues", None, datetime.now(UTC)):
            pass
        order = connector.current_order("jql")
        first, last = order[0], order[-1]
        ops = [
            Op(
                "jira",
                "rank",
                "jql",
                {"items": [last], "after": first, "before": None, "ranks": {}},
                {},
                "",
                "r1",
            ),
            Op(
                "jira",
                "rank",
                "jql",
                {"items": [first], "after": first, "before": None, "ranks": {}},
                {},
                "",
                "r2",
            ),
            Op("jira", "field", first, {"item": first, "field": "score", "value": 9.5}, {}, "", "f1"),
            Op("jira", "status", first, {"item": first, "category": "done"}, {}, "", "s1"),
            Op(
                "jira",
                "comment",
                first,
                {"item": first, "body": "Ranked first", "public": False},
                {},
                "",
                "c1",
            ),
            Op("jira", "tags", "jql", {"items": [first], "tags": ["rankbridge"]}, {}, "", "t1"),
        ]
        for one in ops:
            connector.apply(one)
        connector.verify(ops)
        connector.check()
    finally:
        connector.close()
    return seen


def test_every_logged_request_is_documented(served: Served) -> None:
    exercise(served)
    log = control(served, "GET", "/_sandbox/requests")
    paths = {entry["path"] for entry in log}
    assert "/rest/agile/1.0/issue/rank" in paths and len(log) > 10
    # Data Center's /rest/api/2/search mirrors Cloud's /rest/api/3/search, which Cloud deprecated and removed.
    allowed = set() if emulator_of(served).cloud else {("GET", "/rest/api/3/search")}
    assert_documented_calls("jira", log, allow_deprecated=allowed)


def test_request_bodies_validate(served: Served) -> None:
    checked = set()
    for method, path, body in exercise(served):
        if body is None or path.endswith("/field"):
            continue
        assert_request_matches("jira", method, path, body)
        checked.add((method, path.split("/")[-1]))
    assert {("PUT", "rank"), ("POST", "transitions"), ("POST", "comment")} <= checked


@pytest.mark.parametrize(
    ("method", "template", "path", "body"),
    [
        (
            "POST",
            "/rest/api/3/search/jql",
            "/rest/api/3/search/jql",
            {"jql": "project = ENG", "fields": ["summary", "status", "customfield_10019"], "maxResults": 5},
        ),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}", "/rest/api/3/issue/ENG-1", None),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions", "/rest/api/3/issue/ENG-1/transitions", None),
        ("GET", "/rest/api/3/field", "/rest/api/3/field", None),
        ("GET", "/rest/api/3/myself", "/rest/api/3/myself", None),
    ],
)
def test_cloud_responses_validate(cloud: Served, method: str, template: str, path: str, body: Any) -> None:
    with api_client(cloud) as client:
        response = client.request(method, path, json=body)
    assert response.status_code == 200
    assert_response_matches("jira", method, template, 200, response.json())


def test_datacenter_search_response_validates(datacenter: Served) -> None:
    with api_client(datacenter) as client:
        response = client.get("/rest/api/2/search", params={"jql": "project = ENG", "maxResults": 3})
    assert_response_matches("jira", "GET", "/rest/api/3/search", 200, response.json())


def test_error_body_has_jira_shape(cloud: Served) -> None:
    with api_client(cloud) as client:
        response = client.get("/rest/api/3/issue/NOPE-1")
    assert response.status_code == 404
    assert_response_matches("jira", "POST", "/rest/api/3/issue", 400, response.json())  # ErrorCollection
