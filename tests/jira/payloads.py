"""Issue payloads as Jira returns them (REST v3 search/jql and v2 search), for the normaliser tests."""

from __future__ import annotations

import copy
from typing import Any

from connectors.jira import JiraConfig

BASE = "https://acme.atlassian.net"

TICKET = "https://acme.zendesk.com/agent/tickets/812"
CARD = {"type": "inlineCard", "attrs": {"url": "https://linear.app/acme/issue/DES-4/crash"}}
SEE_ALSO = {"type": "text", "text": "see acme/app#12"}
RICH_ADF: dict[str, Any] = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Context"}]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "Checkout fails for "},
            {"type": "mention", "attrs": {"id": "5b10", "text": "@Ada Lovelace"}},
            {"type": "text", "text": " on Safari."},
            {"type": "hardBreak"},
            {"type": "text", "text": "Ticket", "marks": [{"type": "link", "attrs": {"href": TICKET}}]},
        ]},
        {"type": "bulletList", "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [SEE_ALSO]}]},
            {"type": "listItem", "content": [{"type": "paragraph", "content": [CARD]}]},
        ]},
        {"type": "codeBlock", "content": [{"type": "text", "text": "TypeError: undefined"}]},
    ],
}  # fmt: skip


def config(**overrides: Any) -> JiraConfig:
    table: dict[str, Any] = {
        "type": "jira", "url": BASE, "email": "bot@acme.test", "token": "secret-token",
        "jql": "project = ENG", "rank_field": "customfield_10019", "estimate_field": "customfield_10016",
        "score_field": "customfield_10050", "fields": {"Team": "customfield_10061"},
        "status_map": {"Backlog": "backlog"},
    }  # fmt: skip
    table.update(overrides)
    return JiraConfig.model_validate(table)


def status(name: str, key: str) -> dict[str, Any]:
    return {"id": "1", "name": name, "statusCategory": {"id": 2, "key": key, "name": name}}


def issue(**fields: Any) -> dict[str, Any]:
    """A v3 issue with every field the connector asks for; ``fields`` override or add fields."""
    body: dict[str, Any] = {
        "id": "10042",
        "key": "ENG-42",
        "self": f"{BASE}/rest/api/3/issue/10042",
        "fields": {
            "summary": "Fix checkout on Safari",
            "status": status("In Progress", "indeterminate"),
            "resolution": None,
            "issuetype": {"id": "10001", "name": "Story", "hierarchyLevel": 0},
            "parent": {"id": "10007", "key": "ENG-7", "fields": {"summary": "Checkout revamp"}},
            "priority": {"id": "2", "name": "High"},
            "labels": ["customer", "security"],
            "project": {"id": "10000", "key": "ENG", "name": "Engineering"},
            "assignee": {"accountId": "5b10", "displayName": "Ada Lovelace"},
            "reporter": {"accountId": "5b11", "displayName": "Grace Hopper"},
            "created": "2025-12-01T10:00:00.000+0100",
            "updated": "2026-01-02T08:30:15.250+0000",
            "duedate": "2026-02-01",
            "description": copy.deepcopy(RICH_ADF),
            "issuelinks": [],
            "customfield_10016": 5.0,
            "customfield_10019": "0|i0004t:",
            "customfield_10050": 12.5,
            "customfield_10061": {"id": "10200", "value": "Payments"},
        },
    }
    body["fields"].update(fields)
    return body
