"""Jira's documented query parameters on the emulator over real HTTP (platform-swagger-v3.v3.full.json):
getIssue's ``expand`` (names, schema, transitions, editmeta, renderedFields; changelog and the others
501), ``properties``; getTransitions' ``transitionId`` and ``includeUnavailableTransitions``; editIssue's
``returnIssue`` with ``expand``; flags it does not act on, switched on, answer 501; a literal operation
beside ``/issue/{issueIdOrKey}`` is not read as an issue key."""

from __future__ import annotations

from typing import Any

from sandbox.jira.data import TRANSITIONS
from sandbox.serving import Served
from tests.jira.conftest import api_client, emulator_of


def _get(served: Served, path: str, **params: Any) -> Any:
    with api_client(served) as client:
        return client.get(path, params=params)


def test_issue_expand_adds_what_each_option_documents(cloud: Served) -> None:
    issue = emulator_of(cloud).store.ordered()[0]
    path = f"/rest/api/3/issue/{issue.key}"
    plain = _get(cloud, path, fields="summary,status,description,created").json()
    assert not {"names", "schema", "transitions", "editmeta", "renderedFields"} & set(plain)
    body = _get(
        cloud, path, fields="summary,status,description,created", expand="names,schema,transitions,editmeta"
    ).json()
    assert body["names"] == {
        "summary": "Summary",
        "status": "Status",
        "description": "Description",
        "created": "Created",
    }
    assert body["schema"]["status"]["type"] == "status" and set(body["schema"]) == set(body["names"])
    possible = {t.id for t in TRANSITIONS if issue.status in t.sources}
    assert {t["id"] for t in body["transitions"]} == possible and possible
    assert "summary" in body["editmeta"]["fields"]
    rendered = _get(cloud, path, fields="description,created,summary", expand="renderedFields").json()
    shown = rendered["renderedFields"]
    assert shown["summary"] is None and shown["created"].count("/") == 2
    assert shown["description"] is None or shown["description"].startswith("<p>")
    for unserved in ("changelog", "versionedRepresentations", "operations"):
        refused = _get(cloud, path, expand=f"names,{unserved}")
        assert refused.status_code == 501 and f"expand={unserved}" in refused.json()["errorMessages"][0]
    properties = _get(cloud, path, fields="summary", properties="*all").json()
    assert properties["properties"] == {}  # the emulator keeps no issue properties


def test_transitions_by_id_and_the_unavailable_ones(cloud: Served) -> None:
    issue = emulator_of(cloud).store.ordered()[0]
    path = f"/rest/api/3/issue/{issue.key}/transitions"
    available = _get(cloud, path).json()["transitions"]
    assert all(t["isAvailable"] for t in available)
    every = _get(cloud, path, includeUnavailableTransitions="true").json()["transitions"]
    assert {t["id"] for t in every} == {t.id for t in TRANSITIONS}
    assert {t["id"] for t in every if not t["isAvailable"]} == {t.id for t in TRANSITIONS} - {
        t["id"] for t in available
    }
    one = available[0]["id"]
    assert [t["id"] for t in _get(cloud, path, transitionId=one).json()["transitions"]] == [one]
    assert _get(cloud, path, expand="transitions.fields").status_code == 501
    assert _get(cloud, path, sortByOpsBarAndStatus="true").status_code == 501
    assert _get(cloud, path, sortByOpsBarAndStatus="false").status_code == 200


def test_edit_returns_the_expanded_issue_and_refuses_admin_overrides(cloud: Served) -> None:
    issue = emulator_of(cloud).store.ordered()[1]
    path = f"/rest/api/3/issue/{issue.key}"
    with api_client(cloud) as client:
        edit = {"fields": {"summary": "Renamed through the API"}}
        returned = client.put(path, json=edit, params={"returnIssue": "true", "expand": "names"})
        assert returned.status_code == 200
        assert returned.json()["fields"]["summary"] == "Renamed through the API"
        assert returned.json()["names"]["summary"] == "Summary"
        assert client.put(path, json=edit, params={"notifyUsers": "false"}).status_code == 204
        refused = client.put(path, json=edit, params={"overrideEditableFlag": "true"})
        assert refused.status_code == 501 and "overrideEditableFlag" in refused.json()["errorMessages"][0]
        assert client.get(f"{path}/editmeta", params={"overrideScreenSecurity": "true"}).status_code == 501
        assert client.get("/rest/api/3/myself", params={"expand": "groups"}).status_code == 501


def test_a_literal_operation_beside_an_issue_key_is_not_emulated(cloud: Served) -> None:
    for path in ("/rest/api/3/issue/createmeta", "/rest/api/3/issue/picker"):
        answer = _get(cloud, path)
        assert answer.status_code == 501 and "is not emulated" in answer.json()["errorMessages"][0]
    assert _get(cloud, "/rest/api/3/issue/NOPE-404").status_code == 404  # a missing issue stays 404


def test_data_center_search_refuses_the_options_it_does_not_produce(datacenter: Served) -> None:
    for name, value in (("expand", "changelog"), ("validateQuery", "warn")):
        answer = _get(datacenter, "/rest/api/2/search", jql="project = ENG", **{name: value})
        assert answer.status_code == 501 and f"{name}={value}" in answer.json()["errorMessages"][0]
    strict = _get(datacenter, "/rest/api/2/search", jql="project = ENG", validateQuery="strict")
    assert strict.status_code == 200 and "names" not in strict.json()
    named = _get(datacenter, "/rest/api/2/search", jql="project = ENG", fields="summary", expand="schema")
    assert named.json()["schema"] == {"summary": {"type": "string", "system": "summary"}}
