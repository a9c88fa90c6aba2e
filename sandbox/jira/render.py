"""JSON shapes of the Jira emulator: issues (v3 with ADF descriptions, v2 with text), users, fields."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from sandbox.jira.data import (
    CUSTOM_FIELDS,
    EPIC_LINK,
    ISSUE_TYPES,
    PRIORITIES,
    PROJECTS,
    RESOLUTION_IDS,
    SYSTEM_FIELDS,
    TEAM,
    TEAM_MANAGED,
    TEAMS,
    Issue,
    IssueStore,
    adf,
    deep_merge,
    jira_time,
    plain,
    status_json,
)

ALL_FIELDS = [*SYSTEM_FIELDS, *CUSTOM_FIELDS]


def selected_fields(requested: list[str], default: list[str]) -> list[str]:
    """Jira's ``fields`` parameter: ids, ``*all``/``*navigable``, ``-id`` exclusions; unknown ids ignored."""
    names = requested or default
    chosen: list[str] = []
    for name in names:
        if name in ("*all", "*navigable"):
            chosen.extend(ALL_FIELDS)
        elif name in ALL_FIELDS:
            chosen.append(name)
    excluded = {n[1:] for n in names if n.startswith("-")}
    return [n for n in dict.fromkeys(chosen) if n not in excluded]


class Renderer:
    def __init__(self, store: IssueStore, base: str, cloud: bool, zone: tzinfo) -> None:
        self.store = store
        self.base = base
        self.cloud = cloud
        self.zone = zone  # the API user's: every timestamp carries its offset

    def issue(self, issue: Issue, fields: list[str], version: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "expand": "",
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.base}/rest/api/{version}/issue/{issue.id}",
        }
        if fields:
            body["fields"] = {name: self.field(issue, name, version) for name in fields}
        return deep_merge(body, issue.raw) if issue.raw else body

    def field(self, issue: Issue, name: str, version: str) -> Any:
        custom = CUSTOM_FIELDS.get(name)
        if custom is not None:
            return self._custom(issue, name)
        renderers: dict[str, Callable[[], Any]] = {
            "summary": lambda: issue.summary,
            "description": lambda: adf(issue.description) if version == "3" else plain(issue.description),
            "status": lambda: status_json(issue.status, self.base),
            "resolution": lambda: self._resolution(issue.resolution),
            "issuetype": lambda: self._issuetype(issue.issuetype),
            "parent": lambda: None if self.company_managed(issue) else self._parent(issue.parent, version),
            "priority": lambda: {
                "self": f"{self.base}/rest/api/2/priority/{PRIORITIES[issue.priority]}",
                "id": PRIORITIES[issue.priority],
                "name": issue.priority,
            },
            "labels": lambda: list(issue.labels),
            "project": lambda: self._project(issue.project),
            "assignee": lambda: self.user(issue.assignee, version) if issue.assignee else None,
            "reporter": lambda: self.user(issue.reporter, version),
            "created": lambda: jira_time(issue.created, self.zone),
            "updated": lambda: jira_time(issue.updated, self.zone),
            "duedate": lambda: issue.duedate,
            "issuelinks": lambda: self._links(issue, version),
            "comment": lambda: self._comments(issue),
        }
        return renderers[name]()

    def user(self, name: str, version: str) -> dict[str, Any]:
        handle = name.lower().replace(" ", ".")
        if self.cloud:
            account = f"5b10a2844c2016{zlib.crc32(handle.encode()):010d}"
            return {
                "self": f"{self.base}/rest/api/{version}/user?accountId={account}",
                "accountId": account,
                "accountType": "atlassian",
                "displayName": name,
                "active": True,
            }
        return {
            "self": f"{self.base}/rest/api/2/user?username={handle}",
            "name": handle,
            "key": handle,
            "displayName": name,
            "active": True,
        }

    def field_catalogue(self) -> list[dict[str, Any]]:
        out = []
        for field_id, (name, type_) in SYSTEM_FIELDS.items():
            out.append(
                {
                    "id": field_id,
                    "key": field_id,
                    "name": name,
                    "custom": False,
                    "orderable": True,
                    "navigable": True,
                    "searchable": True,
                    "clauseNames": [field_id],
                    "schema": {"type": type_, "system": field_id},
                }
            )
        for field_id, (name, type_, custom) in CUSTOM_FIELDS.items():
            number = int(field_id.removeprefix("customfield_"))
            out.append(
                {
                    "id": field_id,
                    "key": field_id,
                    "name": name,
                    "custom": True,
                    "orderable": True,
                    "navigable": True,
                    "searchable": True,
                    "clauseNames": [f"cf[{number}]", name],
                    "schema": {"type": type_, "custom": custom, "customId": number},
                }
            )
        return out

    def edit_meta(self, editable: tuple[str, ...]) -> dict[str, Any]:
        """``IssueUpdateMetadata`` (``GET …/issue/{key}/editmeta``): the edit screen's fields, each with
        its ``FieldMetadata`` (key, name, operations, required, schema)."""
        catalogue = {f["id"]: f for f in self.field_catalogue()}
        fields = {}
        for field_id in editable:
            known = catalogue[field_id]
            operations = ["add", "set", "remove"] if known["schema"]["type"] == "array" else ["set"]
            fields[field_id] = {
                "key": field_id,
                "name": known["name"],
                "operations": operations,
                "required": field_id == "summary",
                "schema": known["schema"],
            }
        return {"fields": fields}

    def company_managed(self, issue: Issue) -> bool:
        """Epics of company-managed projects (and all of Data Center's) hang on the Epic Link field, not
        on ``parent``."""
        return not self.cloud or issue.project not in TEAM_MANAGED

    def _custom(self, issue: Issue, name: str) -> Any:
        if name == "customfield_10019":
            return issue.rank
        if name == EPIC_LINK:
            return issue.parent if issue.parent and self.company_managed(issue) else None
        value = issue.custom.get(name)
        if name == TEAM and value is not None:
            return {
                "self": f"{self.base}/rest/api/2/customFieldOption/{TEAMS[value]}",
                "value": value,
                "id": TEAMS[value],
            }
        return value

    def _comments(self, issue: Issue) -> dict[str, Any]:
        count = len(issue.comments)
        return {"comments": list(issue.comments), "startAt": 0, "maxResults": count, "total": count}

    def _resolution(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        number = RESOLUTION_IDS[name]
        return {
            "self": f"{self.base}/rest/api/2/resolution/{number}",
            "id": number,
            "name": name,
            "description": "",
        }

    def _issuetype(self, name: str) -> dict[str, Any]:
        number, level = ISSUE_TYPES[name]
        return {
            "self": f"{self.base}/rest/api/2/issuetype/{number}",
            "id": number,
            "name": name,
            "subtask": False,
            "hierarchyLevel": level,
        }

    def _project(self, key: str) -> dict[str, Any]:
        number, name = PROJECTS[key]
        return {
            "self": f"{self.base}/rest/api/2/project/{number}",
            "id": number,
            "key": key,
            "name": name,
            "projectTypeKey": "software",
            "simplified": self.cloud and key in TEAM_MANAGED,  # team-managed ("next-gen") projects
        }

    def _brief(self, issue: Issue, version: str) -> dict[str, Any]:
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.base}/rest/api/{version}/issue/{issue.id}",
            "fields": {
                "summary": issue.summary,
                "status": status_json(issue.status, self.base),
                "issuetype": self._issuetype(issue.issuetype),
            },
        }

    def _parent(self, key: str | None, version: str) -> dict[str, Any] | None:
        parent = self.store.find(key) if key else None
        return self._brief(parent, version) if parent is not None else None

    def _links(self, issue: Issue, version: str) -> list[dict[str, Any]]:
        """``IssueLink``s of the issue: its own links (``outwardIssue``) and those of other issues to it
        (``inwardIssue``), each with the same id on both issues."""
        out = []
        for number, (type_name, other_key) in enumerate(issue.links, start=1):
            other = self.store.find(other_key)
            if other is not None:
                link_id = f"{issue.id}{number:02d}"
                out.append(
                    {"id": link_id, "outwardIssue": self._brief(other, version), **_link_type(type_name)}
                )
        for type_name, source in self.store.inward(issue):
            number = next(n for n, (_, key) in enumerate(source.links, start=1) if key.upper() == issue.key)
            link_id = f"{source.id}{number:02d}"
            out.append({"id": link_id, "inwardIssue": self._brief(source, version), **_link_type(type_name)})
        return out


def _link_type(name: str) -> dict[str, Any]:
    inward, outward = (
        ("is duplicated by", "duplicates") if name == "Duplicate" else ("relates to", "relates to")
    )
    number = "10002" if name == "Duplicate" else "10000"
    return {"type": {"id": number, "name": name, "inward": inward, "outward": outward}}
