"""Pure mapping of one Jira issue payload (REST v3 or v2, search or issue GET) to records.

No I/O: everything this needs is in the payload and the connection's config, so captured payloads and the
official spec examples can be replayed through it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import SkippableError
from connectors.jira.config import JiraConfig
from connectors.jira.text import adf_to_text, references
from sync.model import Item, Kind, Link, LinkType, Records, StatusCategory, parse_utc, utc_iso

SOURCE = "jira"
log = logging.getLogger(__name__)

# Jira's statusCategory.key -> canonical category (config.status_map by status name overrides it).
CATEGORY_BY_KEY: dict[str, StatusCategory] = {
    "new": StatusCategory.TO_DO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}
SYSTEM_FIELDS = [
    "summary", "status", "resolution", "issuetype", "parent", "priority", "labels", "project",
    "assignee", "reporter", "created", "updated", "duedate", "description", "issuelinks",
]  # fmt: skip


def search_fields(config: JiraConfig, epic_link: str | None = None) -> list[str]:
    """The explicit ``fields`` list a pull asks for: what :func:`normalize_issue` reads, nothing more."""
    custom = [config.rank_field, config.estimate_field, config.score_field, *config.fields.values()]
    custom.append(config.epic_link_field or epic_link)
    return list(dict.fromkeys([*SYSTEM_FIELDS, *(f for f in custom if f)]))


@dataclass(frozen=True)
class Issue:
    """The few parts of a payload that must be there; everything else is optional."""

    native_id: str
    key: str
    fields: Mapping[str, Any]


def normalize_issue(
    payload: Mapping[str, Any], *, connection: str, config: JiraConfig, epic_link: str | None = None
) -> Records:
    """One issue → one Item plus its parent, issue and text links; SkippableError when malformed.
    ``epic_link`` is the Epic Link field's id when the pull found one (``config.epic_link_field`` wins)."""
    issue = _required(payload)
    try:
        return _records(issue, connection, config, config.epic_link_field or epic_link)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise SkippableError(f"jira issue {issue.key}: {type(exc).__name__}: {exc}") from None


def _required(payload: Mapping[str, Any]) -> Issue:
    if not isinstance(payload, Mapping):
        raise SkippableError(f"jira issue payload is a {type(payload).__name__}, not an object")
    native_id, key, fields = payload.get("id"), payload.get("key"), payload.get("fields")
    if not isinstance(native_id, str | int) or not str(native_id) or not isinstance(key, str) or not key:
        raise SkippableError("jira issue payload lacks its id or key")
    if not isinstance(fields, Mapping):
        raise SkippableError(f"jira issue {key} has no fields object")
    if fields.get("updated") is None:
        raise SkippableError(f"jira issue {key} has no updated time")
    return Issue(str(native_id), key, fields)


def _records(issue: Issue, connection: str, config: JiraConfig, epic_link: str | None) -> Records:
    f = issue.fields
    uid = f"{connection}:{issue.native_id}"
    status = _object(f, "status")
    resolution = _object(f, "resolution").get("name")
    priority = _object(f, "priority").get("name")
    parent = _object(f, "parent")
    title, body = str(f.get("summary") or ""), description_text(f.get("description"))
    item = Item(
        uid=uid,
        connection=connection,
        source=SOURCE,
        native_id=issue.native_id,
        key=issue.key,
        kind=Kind.EPIC if _is_epic(_object(f, "issuetype")) else Kind.ISSUE,
        title=title,
        body=body,
        url=f"{config.url.rstrip('/')}/browse/{issue.key}",
        status=str(status.get("name") or ""),
        status_id=str(status["id"]) if status.get("id") is not None else None,
        status_category=status_category(status, resolution, config),
        updated_at=jira_time(f["updated"]),
        created_at=jira_time(f["created"]) if f.get("created") is not None else None,
        priority=priority,
        priority_level=config.priority_levels.get(priority, 0) if priority else 0,
        labels=[str(label) for label in f.get("labels") or []],
        assignee=_object(f, "assignee").get("displayName"),
        requester=_object(f, "reporter").get("displayName"),
        parent_uid=f"{connection}:{parent['id']}" if parent.get("id") else None,
        container=_object(f, "project").get("key"),
        estimate=_estimate(f.get(config.estimate_field), issue.key) if config.estimate_field else None,
        due_date=f.get("duedate") or None,
        native_rank=_rank(f, config),
        fields=_custom_fields(f, config),
    )
    if not parent and epic_link and isinstance(f.get(epic_link), str) and f[epic_link]:
        # Company-managed and Data Center projects: the epic is the Epic Link field's key, not ``parent``;
        # the link resolves it and link resolution sets parent_uid (sync/references.py).
        parent = {"key": f[epic_link]}
    links = _parent_links(uid, parent, connection) + _issue_links(uid, f.get("issuelinks"), connection)
    links += [
        Link(uid, LinkType.RELATES, "text", dst_ref=ref) for ref in references(f"{title}\n{body}", issue.key)
    ]
    return Records(items=[item], links=links)


def status_category(status: Mapping[str, Any], resolution: str | None, config: JiraConfig) -> StatusCategory:
    """Canonical category: status_map by name, else statusCategory.key; done + a canceled resolution
    (or the configured canceled status) is canceled."""
    name = str(status.get("name") or "")
    if name in config.status_map:
        return config.status_map[name]
    raw = status.get("statusCategory")
    category: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    base = CATEGORY_BY_KEY.get(str(category.get("key") or "new"), StatusCategory.TO_DO)
    if base is StatusCategory.DONE and (
        resolution in config.canceled_resolutions or name == config.canceled_status
    ):
        return StatusCategory.CANCELED
    return base


def description_text(value: Any) -> str:
    """v3 descriptions are ADF documents, v2 ones wiki-markup strings (kept as they are)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return adf_to_text(value)


def jira_time(value: Any) -> str:
    """Jira's ``2023-06-24T19:24:50.000+0000`` (or epoch milliseconds) as UTC ISO with milliseconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return utc_iso(datetime.fromtimestamp(value / 1000, UTC))
    return utc_iso(parse_utc(str(value)))


def simple_value(value: Any) -> Any:
    """A custom field value as plain data: an option as its value, a user as a name, ADF as text."""
    if isinstance(value, list):
        return [simple_value(v) for v in value]
    if isinstance(value, Mapping):
        if value.get("type") == "doc":
            return adf_to_text(value)
        for name in ("value", "name", "displayName", "key", "id"):
            if name in value:
                return value[name]
        return dict(value)
    return value


def _object(fields: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = fields.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"field {name} is a {type(value).__name__}, not an object")
    return value


def _is_epic(issuetype: Mapping[str, Any]) -> bool:
    return issuetype.get("name") == "Epic" or issuetype.get("hierarchyLevel") == 1


def _estimate(value: Any, key: str) -> float | None:
    """The estimate field as a number; a value that is none (text someone typed into a misconfigured
    field, an option) leaves the estimate empty and is reported, and the issue is kept."""
    try:
        return _number(value)
    except (TypeError, ValueError):
        log.warning("jira issue %s: estimate %r is not a number; the estimate is left empty", key, value)
        return None


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    return float(value)


def _rank(fields: Mapping[str, Any], config: JiraConfig) -> str | None:
    value = fields.get(config.rank_field) if config.rank_field else None
    return value if isinstance(value, str) and value else None


def _custom_fields(fields: Mapping[str, Any], config: JiraConfig) -> dict[str, Any]:
    out = {name: simple_value(fields.get(field_id)) for name, field_id in config.fields.items()}
    if config.score_field:
        out["score"] = _number(fields.get(config.score_field))
    return out


def _parent_links(uid: str, parent: Mapping[str, Any], connection: str) -> list[Link]:
    if parent.get("id"):
        return [Link(uid, LinkType.PARENT, "api", dst_uid=f"{connection}:{parent['id']}")]
    if parent.get("key"):
        return [Link(uid, LinkType.PARENT, "api", dst_ref=f"key:{parent['key']}")]
    return []


def _issue_links(uid: str, value: Any, connection: str) -> list[Link]:
    """Jira issue links seen from this issue, each written from its source: Jira lists a link on both of its
    issues (``outwardIssue`` on the source, ``inwardIssue`` on the target), and both sides give the same
    row, so the store keeps each link once. A "Duplicate" duplicates, anything else relates."""
    links: list[Link] = []
    for entry in value or []:
        outward, inward = entry.get("outwardIssue"), entry.get("inwardIssue")
        name = str((entry.get("type") or {}).get("name") or "").lower()
        kind = LinkType.DUPLICATES if name.startswith("duplicate") else LinkType.RELATES
        if isinstance(outward, Mapping) and outward.get("id"):
            links.append(Link(uid, kind, "api", dst_uid=f"{connection}:{outward['id']}"))
        elif isinstance(outward, Mapping) and outward.get("key"):
            links.append(Link(uid, kind, "api", dst_ref=f"key:{outward['key']}"))
        elif isinstance(inward, Mapping) and inward.get("id"):
            links.append(Link(f"{connection}:{inward['id']}", kind, "api", dst_uid=uid))
        elif isinstance(inward, Mapping) and inward.get("key"):  # no id to write it from its source
            links.append(Link(uid, LinkType.RELATES, "api", dst_ref=f"key:{inward['key']}"))
    return links
