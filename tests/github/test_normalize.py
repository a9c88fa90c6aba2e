"""The GitHub normaliser on spec examples and on both payload shapes (pure: no HTTP)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectors.errors import SkippableError
from connectors.github import GithubConfig
from connectors.github.normalize import normalize_issue, normalize_project_item
from tests.specs import spec_examples

CONFIG = GithubConfig(
    url="http://127.0.0.1:1",
    token="t",
    repos=["octocat/Hello-World"],
    score_field="Priority score",
    project={"owner": "octocat", "number": 1},
)


def rest_issue(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(spec_examples("github", "issue")[0])
    payload.pop("pull_request")
    payload.update(changes)
    return payload


def project_node(issue: dict[str, Any]) -> dict[str, Any]:
    """The same issue as a Projects v2 item (GraphQL shape)."""
    return {
        "id": "PVTI_1",
        "content": {
            "__typename": "Issue",
            "id": issue["node_id"],
            "number": issue["number"],
            "title": issue["title"],
            "body": issue["body"],
            "url": issue["html_url"],
            "state": issue["state"].upper(),
            "stateReason": (issue["state_reason"] or "").upper() or None,
            "createdAt": issue["created_at"],
            "updatedAt": issue["updated_at"],
            "closedAt": issue["closed_at"],
            "repository": {"nameWithOwner": "octocat/Hello-World"},
            "author": {"login": issue["user"]["login"]},
            "assignees": {"nodes": [{"login": a["login"]} for a in issue["assignees"]]},
            "labels": {"nodes": [{"name": lab["name"]} for lab in issue["labels"]]},
            "milestone": {
                "number": 1,
                "title": "v1.0",
                "state": "OPEN",
                "dueOn": issue["milestone"]["due_on"],
            },
            "parent": None,
            "subIssuesSummary": {"total": 0},
        },
        "fieldValues": {
            "nodes": [
                {
                    "__typename": "ProjectV2ItemFieldTextValue",
                    "text": issue["title"],
                    "field": {"name": "Title"},
                },
                {
                    "__typename": "ProjectV2ItemFieldNumberValue",
                    "number": 42.5,
                    "field": {"name": "Priority score"},
                },
                {
                    "__typename": "ProjectV2ItemFieldSingleSelectValue",
                    "name": "Todo",
                    "optionId": "a",
                    "field": {"name": "Status"},
                },
            ]
        },
    }


def test_spec_examples_normalise_without_error() -> None:
    for name in ("issue", "issue-items"):
        for example in spec_examples("github", name):
            for payload in example if isinstance(example, list) else [example]:
                records = normalize_issue("gh", CONFIG, payload)
                assert records.items == []  # GitHub's examples are pull requests: skipped by their key
                payload = {k: v for k, v in payload.items() if k != "pull_request"}
                item = normalize_issue("gh", CONFIG, payload).items[0]
                assert item.uid == "gh:octocat/Hello-World#1347" and item.key == "octocat/Hello-World#1347"


def test_rest_issue_fields() -> None:
    item = normalize_issue("gh", CONFIG, rest_issue(state="closed", state_reason="not_planned")).items[0]
    assert (item.source, item.kind, item.container, item.title) == (
        "github",
        "issue",
        "octocat/Hello-World",
        "Found a bug",
    )
    assert (item.status, item.status_id, item.status_category) == ("closed", "not_planned", "canceled")
    assert item.labels == ["bug"] and item.assignee == "octocat" and item.requester == "octocat"
    assert item.updated_at == "2011-04-22T13:33:48.000Z" and item.due_date == "2012-10-09"
    assert item.native_rank is None and item.fields == {}
    assert item.url == "https://github.com/octocat/Hello-World/issues/1347"


def test_both_streams_describe_one_issue_alike() -> None:
    issue = rest_issue(labels=[{"name": "p1"}, {"name": "bug"}])
    rest = normalize_issue("gh", CONFIG, issue).items[0]
    board = normalize_project_item("gh", CONFIG, {"position": 7, "item": project_node(issue)}).items[0]
    assert board.native_rank == "000007"
    assert board.fields == {"project_item_id": "PVTI_1", "score": 42.5, "Status": "Todo"}
    board.native_rank, board.fields = None, {}
    assert board == rest
    assert rest.priority == "p1" and rest.priority_level == 1


def test_status_categories_and_override() -> None:
    assert (
        normalize_issue("gh", CONFIG, rest_issue(state="open", state_reason=None)).items[0].status_category
        == "todo"
    )
    closed = rest_issue(state="closed", state_reason="completed")
    assert normalize_issue("gh", CONFIG, closed).items[0].status_category == "done"
    mapped = CONFIG.model_copy(update={"status_map": {"open": "backlog"}})
    assert normalize_issue("gh", mapped, rest_issue(state="open")).items[0].status_category == "backlog"


def test_epics_parents_and_milestones() -> None:
    child = rest_issue(parent_issue_url="https://api.github.com/repos/octocat/Hello-World/issues/9")
    records = normalize_issue("gh", CONFIG, child)
    assert records.items[0].parent_uid == "gh:octocat/Hello-World#9"
    assert any(link.type == "parent" and link.dst_uid == "gh:octocat/Hello-World#9" for link in records.links)
    assert normalize_issue("gh", CONFIG, rest_issue(labels=[{"name": "epic"}])).items[0].kind == "epic"
    summary = {"total": 3, "completed": 1, "percent_completed": 33}
    assert normalize_issue("gh", CONFIG, rest_issue(sub_issues_summary=summary)).items[0].kind == "epic"
    as_epics = CONFIG.model_copy(update={"milestone_as_epic": True})
    items = normalize_issue("gh", as_epics, rest_issue()).items
    assert items[0].parent_uid == "gh:octocat/Hello-World/milestone/1"
    assert items[1].kind == "epic" and items[1].title == "v1.0"


def test_text_mentions_become_link_refs() -> None:
    body = (
        "Blocked by ENG-42, see https://acme.zendesk.com/agent/tickets/77. Also #12 and other/repo#3.\n"
        "Self: https://github.com/octocat/Hello-World/issues/1347"
    )
    refs = {link.dst_ref for link in normalize_issue("gh", CONFIG, rest_issue(body=body)).links}
    assert refs == {
        "key:ENG-42",
        "url:https://acme.zendesk.com/agent/tickets/77",
        "key:octocat/Hello-World#12",
        "key:other/repo#3",
    }


def test_only_trackers_urls_become_links() -> None:
    """A body full of URLs (docs, a dashboard, an image) links only the ones that name a tracker's item."""
    body = (
        "Docs https://docs.acme.dev/guide/setup, graph https://grafana.acme.dev/d/abc?from=now-1h, "
        "![shot](https://user-images.githubusercontent.com/1/2.png).\n"
        "Tracked in https://acme.atlassian.net/browse/ENG-7, https://linear.app/acme/issue/DES-4/fix-login, "
        "https://linear.app/acme/issue/DES-5 and https://github.com/acme/api/pull/9."
    )
    refs = {link.dst_ref for link in normalize_issue("gh", CONFIG, rest_issue(body=body)).links}
    assert refs == {
        "url:https://acme.atlassian.net/browse/ENG-7",
        "url:https://linear.app/acme/issue/DES-4/fix-login",
        "url:https://linear.app/acme/issue/DES-5",
        "url:https://github.com/acme/api/pull/9",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"updated_at": "garbage"},
        {"number": None},
        {"state": "weird"},
        {"repository_url": 5},
        {"labels": "nope"},
    ],
)
def test_malformed_issue_is_skippable(change: dict[str, Any]) -> None:
    with pytest.raises(SkippableError):
        normalize_issue("gh", CONFIG, rest_issue(**change))


def test_project_drafts_and_pull_requests_are_skipped() -> None:
    draft = {
        "position": 0,
        "item": {"id": "PVTI_9", "content": {"__typename": "DraftIssue", "id": "D", "title": "x"}},
    }
    assert normalize_project_item("gh", CONFIG, draft).items == []
    with pytest.raises(SkippableError):
        normalize_project_item("gh", CONFIG, {"item": {}})
