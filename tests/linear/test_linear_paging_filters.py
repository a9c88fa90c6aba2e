"""Backward pagination, edges, ``DateTimeOrDuration`` durations and the comparators, over real HTTP.

Linear documents Relay pagination both ways (developers.linear.app "Pagination"; linear/schema.graphql: every
list takes ``first``/``after`` and ``last``/``before``, and ``…Connection.edges`` carry cursors), and
``DateTimeOrDuration`` "accepts ISO 8601 durations strings which are added to the current date" (``-P2W1D``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox.linear import LinearEmulator
from sandbox.linear.data import parse_iso
from sandbox.linear.filters import moment
from tests.linear.graphql_client import post as _post
from tests.specs import assert_valid_document

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: createdAt,
         includeArchived: true) {
    nodes { identifier }
    edges { cursor node { identifier } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _all_forward(emulator: LinearEmulator, size: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = _post(emulator, PAGE, {"first": size, "after": after})["issues"]
        seen += [n["identifier"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


def test_backward_pages_walk_the_same_list_from_the_end(emulator: LinearEmulator) -> None:
    assert_valid_document("linear", PAGE)
    forward = _all_forward(emulator, 7)
    assert len(forward) == len(emulator.data.issues)
    pages: list[list[str]] = []
    before = None
    while True:
        page = _post(emulator, PAGE, {"last": 7, "before": before})["issues"]
        pages.append([n["identifier"] for n in page["nodes"]])
        # edges carry the same cursors as pageInfo, and each page keeps the list's order
        assert page["edges"][0]["cursor"] == page["pageInfo"]["startCursor"]
        assert [e["node"]["identifier"] for e in page["edges"]] == pages[-1]
        assert page["pageInfo"]["hasNextPage"] == (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    backward = [key for page in reversed(pages) for key in page]
    assert backward == forward
    assert len(pages[-1]) == len(forward) % 7 or len(pages[-1]) == 7


def test_first_and_before_and_last_and_after_bound_a_window(emulator: LinearEmulator) -> None:
    forward = _all_forward(emulator, 50)
    middle = _post(emulator, PAGE, {"first": 10})["issues"]["edges"]
    start, end = middle[2]["cursor"], middle[8]["cursor"]
    between = _post(emulator, PAGE, {"first": 50, "after": start, "before": end})["issues"]
    assert [n["identifier"] for n in between["nodes"]] == forward[3:8]
    tail = _post(emulator, PAGE, {"last": 2, "after": start, "before": end})["issues"]
    assert [n["identifier"] for n in tail["nodes"]] == forward[6:8]
    assert tail["pageInfo"]["hasPreviousPage"] and tail["pageInfo"]["hasNextPage"]


def test_nested_lists_page_backward_too(emulator: LinearEmulator) -> None:
    query = """
    query States($before: String) {
      teams(first: 1) { nodes { states(last: 3, before: $before) {
        nodes { name position } pageInfo { hasPreviousPage startCursor } } } }
    }"""
    assert_valid_document("linear", query)
    last = _post(emulator, query)["teams"]["nodes"][0]["states"]
    assert [s["name"] for s in last["nodes"]] == ["Done", "Canceled", "Duplicate"]
    before = {"before": last["pageInfo"]["startCursor"]}
    earlier = _post(emulator, query, before)["teams"]["nodes"][0]["states"]
    assert [s["name"] for s in earlier["nodes"]] == ["Todo", "In Progress", "In Review"]


def test_a_page_size_out_of_bounds_is_refused(emulator: LinearEmulator) -> None:
    response = httpx.post(
        f"{emulator.base_url}/graphql",
        headers={"Authorization": emulator.token},
        json={"query": PAGE, "variables": {"last": 0}},
    )
    assert "last must be between 1 and 250" in response.text


# --- DateTimeOrDuration ------------------------------------------------------------------------------------
def test_durations_are_relative_to_now() -> None:
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert moment("-P2W1D", now) == now - timedelta(days=15)
    assert moment("P1DT2H", now) == now + timedelta(days=1, hours=2)
    assert moment("-P1M", now) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)  # no 31 February
    assert moment("-P1Y", now) == datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    assert moment("-PT30M", now) == now - timedelta(minutes=30)
    assert moment("2021") == datetime(2021, 1, 1, tzinfo=UTC)
    assert moment("2025-06-02T09:00:00.000Z") == datetime(2025, 6, 2, 9, tzinfo=UTC)


def test_a_duration_filter_reads_the_issues_changed_lately(emulator: LinearEmulator) -> None:
    """The generated issues were last changed in 2025; the two edited now are the only ones of the last
    two weeks, whether the filter goes through the update index (orderBy updatedAt) or not."""
    edited = sorted(list(emulator.data.by_identifier)[:2])
    for key in edited:
        emulator.data.update_issue(emulator.data.issue(key), {"title": f"Retitled {key}"})
    query = """
    query Recent($filter: IssueFilter) {
      byUpdate: issues(filter: $filter, orderBy: updatedAt, first: 100) { nodes { identifier } }
      byCreation: issues(filter: $filter, first: 100) { nodes { identifier } }
    }"""
    data = _post(emulator, query, {"filter": {"updatedAt": {"gt": "-P2W"}}})
    assert sorted(n["identifier"] for n in data["byUpdate"]["nodes"]) == edited
    assert sorted(n["identifier"] for n in data["byCreation"]["nodes"]) == edited
    older = _post(emulator, query, {"filter": {"updatedAt": {"lt": "-P1D"}}})["byCreation"]["nodes"]
    assert len(older) == min(100, len([i for i in emulator.data.issues.values() if not i["archivedAt"]]) - 2)
    bad = httpx.post(
        f"{emulator.base_url}/graphql",
        headers={"Authorization": emulator.token},
        json={"query": query, "variables": {"filter": {"updatedAt": {"gt": "last tuesday"}}}},
    )
    assert "Invalid DateTimeOrDuration" in bad.text


JULY_2025 = datetime(2025, 7, 1, tzinfo=UTC)


def _in_active(issue: dict[str, Any], data: Any) -> bool:
    cycle = data.cycles.get(issue["_cycle"] or "")
    return issue["_project"] is None and cycle is not None and cycle["isActive"]


def _labelled(issue: dict[str, Any], data: Any, names: set[str]) -> bool:
    return any(data.labels[x]["name"] in names for x in issue["_labels"])


def _done_child(issue: dict[str, Any], data: Any) -> bool:
    children = (c for c in data.issues.values() if c["_parent"] == issue["id"])
    return any(data.states[c["_state"]]["type"] == "completed" for c in children)


def _rich(issue: dict[str, Any], data: Any) -> bool:
    return any(data.customers[data.needs[n]["_customer"]]["revenue"] > 250000 for n in issue["_needs"])


# --- comparators -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"title": {"containsIgnoreCase": "LOGIN"}}, lambda i, d: "login" in i["title"].lower()),
        ({"title": {"startsWith": "Fix"}}, lambda i, d: i["title"].startswith("Fix")),
        ({"number": {"lte": 5}}, lambda i, d: i["number"] <= 5),
        ({"priority": {"in": [1, 2]}}, lambda i, d: i["priority"] in (1, 2)),
        ({"description": {"notContains": "ENG"}}, lambda i, d: "ENG" not in (i["description"] or "")),
        ({"customerCount": {"gte": 2}}, lambda i, d: len({d.needs[n]["_customer"] for n in i["_needs"]}) > 1),
        ({"completedAt": {"null": False}}, lambda i, d: i["completedAt"] is not None),
        ({"snoozedUntilAt": {"null": True}}, lambda i, d: True),  # no data: null for every issue
        ({"state": {"position": {"gt": 4}}}, lambda i, d: d.states[i["_state"]]["position"] > 4),
        ({"team": {"name": {"eqIgnoreCase": "design"}}}, lambda i, d: d.teams[i["_team"]]["key"] == "DES"),
        ({"attachments": {"length": {"eq": 0}}}, lambda i, d: not i["_attachments"]),
        ({"createdAt": {"gte": "2025-07"}}, lambda i, d: parse_iso(i["createdAt"]) >= JULY_2025),
        ({"assignee": {"null": True}}, lambda i, d: i["_assignee"] is None),
        ({"assignee": {"name": {"startsWith": "Ada"}}}, lambda i, d: i["_assignee"] == d.viewer_id),
        ({"assignee": {"isMe": {"eq": True}}}, lambda i, d: i["_assignee"] == d.viewer_id),
        ({"parent": {"null": False}}, lambda i, d: i["_parent"] is not None),
        ({"project": {"null": True}, "cycle": {"isActive": {"eq": True}}}, lambda i, d: _in_active(i, d)),
        ({"labels": {"some": {"name": {"in": ["Bug", "UX"]}}}}, lambda i, d: _labelled(i, d, {"Bug", "UX"})),
        ({"labels": {"length": {"gte": 2}}}, lambda i, d: len(i["_labels"]) > 1),
        ({"children": {"some": {"state": {"type": {"eq": "completed"}}}}}, lambda i, d: _done_child(i, d)),
        ({"estimate": {"or": [{"lte": 1}, {"gte": 8}]}}, lambda i, d: i["estimate"] in (1, 8)),
        ({"dueDate": {"null": False, "lt": "2025-10-01"}}, lambda i, d: (i["dueDate"] or "9") < "2025-10-01"),
        ({"needs": {"some": {"customer": {"revenue": {"gt": 250000}}}}}, lambda i, d: _rich(i, d)),
    ],
)
def test_comparators_select_what_they_say(
    emulator: LinearEmulator, flt: dict[str, Any], expected: Any
) -> None:
    query = "query F($filter: IssueFilter) { issues(filter: $filter, first: 250) { nodes { identifier } } }"
    # sub-issues: a done one under the first issue and an open one under the second (the seed made none)
    issues = list(emulator.data.issues.values())
    done = next(i for i in issues[2:] if emulator.data.states[i["_state"]]["type"] == "completed")
    todo = next(i for i in issues[2:] if emulator.data.states[i["_state"]]["type"] == "unstarted")
    done["_parent"], todo["_parent"] = issues[0]["id"], issues[1]["id"]
    got = sorted(n["identifier"] for n in _post(emulator, query, {"filter": flt})["issues"]["nodes"])
    data = emulator.data
    live = (i for i in data.issues.values() if not i["archivedAt"])
    wanted = sorted(i["identifier"] for i in live if expected(i, data))
    assert got == wanted
    assert wanted or "customerCount" in flt, "the case selects something"
