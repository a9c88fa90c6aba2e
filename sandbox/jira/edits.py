"""Changes to the Jira emulator's issues: REST field edits (``PUT /issue``), and the ``/_sandbox/`` state
and edit shapes shared by all emulators (see :class:`sandbox.framework.Emulator`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sandbox.jira.data import (
    CUSTOM_FIELDS,
    PRIORITIES,
    RANK,
    REPORT,
    RESOLUTION_OF,
    SCORE,
    STATUSES,
    STORY_POINTS,
    TEAM,
    TEAMS,
    Issue,
    IssueStore,
    Segment,
    deep_merge,
    iso_utc,
)

Setter = Callable[[Issue], None]
# canonical category (as /_sandbox/ speaks) <-> this emulator's statuses
STATUS_OF_CATEGORY = {
    "triage": "Backlog",
    "backlog": "Backlog",
    "todo": "To Do",
    "in_progress": "In Progress",
    "done": "Done",
    "canceled": "Won't Do",
}
CATEGORY_OF_STATUS = {
    "Backlog": "backlog",
    "To Do": "todo",
    "In Progress": "in_progress",
    "Done": "done",
    "Won't Do": "canceled",
}
FIELD_NAMES = {
    "Story Points": STORY_POINTS,
    "Priority score": SCORE,
    "score": SCORE,
    "Team": TEAM,
    "Ranking report": REPORT,
    "report": REPORT,
}


class FieldError(ValueError):
    pass


def _add_label(value: Any) -> Setter:
    def apply(issue: Issue) -> None:
        if value not in issue.labels:
            issue.labels.append(str(value))

    return apply


def _remove_label(value: Any) -> Setter:
    def apply(issue: Issue) -> None:
        if value in issue.labels:
            issue.labels.remove(value)

    return apply


def _set_labels(value: Any) -> Setter:
    def apply(issue: Issue) -> None:
        issue.labels = [str(v) for v in value]

    return apply


LABEL_VERBS: dict[str, Callable[[Any], Setter]] = {
    "add": _add_label,
    "remove": _remove_label,
    "set": _set_labels,
}


# --- REST edits ------------------------------------------------------------------------------------------
def apply_edit(issue: Issue, fields: dict[str, Any], update: dict[str, Any], version: str) -> dict[str, str]:
    """Validate every change first, then apply them all; return Jira's per-field errors (nothing applied)."""
    setters: list[Setter] = []
    errors: dict[str, str] = {}
    for name, value in fields.items():
        try:
            setters.append(_field_setter(name, value, version))
        except FieldError as exc:
            errors[name] = str(exc)
    for name, operations in update.items():
        try:
            setters.extend(_update_setters(name, operations))
        except FieldError as exc:
            errors[name] = str(exc)
    if not errors:
        for setter in setters:
            setter(issue)
    return errors


# What the issues' edit screen holds: the fields an edit may set (``_field_setter``), as editmeta lists them.
EDIT_SCREEN = ("summary", "description", "labels", "duedate", "priority", STORY_POINTS, SCORE, TEAM, REPORT)


def _cannot_set(name: str) -> FieldError:
    return FieldError(f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown.")


def _field_setter(name: str, value: Any, version: str) -> Setter:
    if name == "summary":
        if not isinstance(value, str) or not value.strip():
            raise FieldError("You must specify a summary of the issue.")
        return lambda i: setattr(i, "summary", value)
    if name == "description":
        paragraphs = _paragraphs(value, version)
        return lambda i: setattr(i, "description", paragraphs)
    if name == "labels":
        if not isinstance(value, list) or any(not isinstance(v, str) or " " in v for v in value):
            raise FieldError("The label must not contain spaces.")
        return lambda i: setattr(i, "labels", list(value))
    if name == "duedate":
        if value is not None:
            date.fromisoformat(str(value))
        return lambda i: setattr(i, "duedate", value)
    if name == "priority":
        chosen = _priority(value)
        return lambda i: setattr(i, "priority", chosen)
    if name in (STORY_POINTS, SCORE):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise FieldError("Operation value must be a number")
        return lambda i: i.custom.__setitem__(name, None if value is None else float(value))
    if name == TEAM:
        team = _team(value)
        return lambda i: i.custom.__setitem__(TEAM, team)
    if name == REPORT:
        url = _url(value)
        return lambda i: i.custom.__setitem__(REPORT, url)
    raise _cannot_set(name)


def _url(value: Any) -> str | None:
    """A URL field takes an absolute http(s) URL as a string, or null to clear it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value):
        raise FieldError("Not a valid URL")
    return value


def _update_setters(name: str, operations: list[dict[str, Any]]) -> list[Setter]:
    if name != "labels":
        raise _cannot_set(name)
    setters: list[Setter] = []
    for operation in operations:
        for verb, value in operation.items():
            if verb in LABEL_VERBS:
                setters.append(LABEL_VERBS[verb](value))
            else:
                raise FieldError(f"Operation '{verb}' is not supported for labels.")
    return setters


def _paragraphs(value: Any, version: str) -> list[list[Segment]]:
    if value is None:
        return []
    if version == "2" or isinstance(value, str):
        return [[("text", part)] for part in str(value).split("\n\n") if part.strip()]
    if not isinstance(value, dict) or value.get("type") != "doc":
        raise FieldError("Operation value must be an Atlassian Document (see the Atlassian Document Format)")
    out: list[list[Segment]] = []
    for block in value.get("content") or []:
        segments: list[Segment] = []
        for node in block.get("content") or []:
            if node.get("type") == "inlineCard":
                segments.append(("url", str((node.get("attrs") or {}).get("url") or "")))
            else:
                segments.append(("text", str(node.get("text") or "")))
        out.append(segments)
    return out


def _priority(value: Any) -> str:
    if isinstance(value, dict):
        if value.get("name") in PRIORITIES:
            return str(value["name"])
        by_id = {v: k for k, v in PRIORITIES.items()}
        if str(value.get("id")) in by_id:
            return by_id[str(value["id"])]
    raise FieldError("The priority selected is invalid.")


def _team(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        if value.get("value") in TEAMS:
            return str(value["value"])
        by_id = {v: k for k, v in TEAMS.items()}
        if str(value.get("id")) in by_id:
            return by_id[str(value["id"])]
    raise FieldError(f"Option value '{value}' is not valid")


# --- /_sandbox/ ------------------------------------------------------------------------------------------
def state(store: IssueStore) -> dict[str, Any]:
    """Every issue with its position among the open issues in Rank order (None when done or canceled)."""
    open_order = [i.id for i in store.ordered() if STATUSES[i.status].category != "done"]
    position = {issue_id: index for index, issue_id in enumerate(open_order)}
    items = [_state_item(issue, position.get(issue.id)) for issue in sorted(store.all(), key=lambda i: i.id)]
    return {"items": items, "scope": "jql"}


def _state_item(issue: Issue, order: int | None) -> dict[str, Any]:
    fields = {name: issue.custom.get(fid) for name, fid in FIELD_NAMES.items()}
    fields["Rank"] = issue.rank
    return {
        "key": issue.key,
        "native_id": str(issue.id),
        "title": issue.summary,
        "status": issue.status,
        "status_category": CATEGORY_OF_STATUS[issue.status],
        "order": order,
        "labels": list(issue.labels),
        "fields": fields,
        "updated": iso_utc(issue.updated),
        "rank": issue.rank,
    }


def edit(store: IssueStore, change: dict[str, Any]) -> dict[str, Any]:
    """Apply one change as a person would in the UI; ``updated`` moves."""
    issue = store.find(str(change.get("key")))
    if issue is None:
        raise KeyError(f"no issue {change.get('key')!r}")
    if change.get("delete"):
        store.remove(issue)
        return {"deleted": issue.key}
    if "move" in change:
        after_key = (change["move"] or {}).get("after")
        after = store.find(str(after_key)) if after_key else None
        if after_key and after is None:
            raise KeyError(f"no issue {after_key!r} to move after")
        first = next((i for i in store.ordered() if i.id != issue.id), None)
        store.move([issue], after, None if after else first)
    for name, value in (change.get("set") or {}).items():
        _set(issue, name, value)
    store.touch(issue)
    if change.get("raw"):
        deep_merge(issue.raw, change["raw"])
    return _state_item(issue, None)


def _set(issue: Issue, name: str, value: Any) -> None:
    if name == "title":
        issue.summary = str(value)
    elif name == "status_category":
        issue.status = STATUS_OF_CATEGORY[str(value)]
        issue.resolution = RESOLUTION_OF.get(issue.status)
    elif name == "labels":
        issue.labels = [str(v) for v in value]
    elif name == "priority":
        issue.priority = _priority({"name": value})
    elif name in ("due_date", "duedate"):
        issue.duedate = value
    elif name == "description":
        issue.description = _paragraphs(str(value), "2")
    elif name in FIELD_NAMES or name in CUSTOM_FIELDS:
        field_id = FIELD_NAMES.get(name, name)
        if field_id == RANK:
            raise ValueError("move issues with {'move': {'after': KEY}}, not by setting Rank")
        issue.custom[field_id] = value
    else:
        raise KeyError(f"unknown field {name!r}")


NO_ISSUE = "Issue does not exist or you do not have permission to see it."


def rank_entries(
    store: IssueStore, refs: list[str], anchor: Issue
) -> tuple[list[dict[str, Any]], list[Issue]]:
    """Per-issue entries of a rank request (Rank issues, 207 body) and the issues that move."""
    entries: list[dict[str, Any]] = []
    moving: list[Issue] = []
    for ref in refs:
        issue = store.find(ref)
        if issue is None:
            entry: dict[str, Any] = {"issueKey": ref, "status": 404, "errors": [NO_ISSUE]}
            if ref.isdigit():
                entry = {"issueId": int(ref), **entry}
            entries.append(entry)
        elif issue.id == anchor.id:
            entries.append(
                {
                    "issueId": issue.id,
                    "issueKey": issue.key,
                    "status": 400,
                    "errors": ["Cannot rank an issue relative to itself."],
                }
            )
        elif issue not in moving:
            moving.append(issue)
            entries.append({"issueId": issue.id, "issueKey": issue.key, "status": 200})
    return entries, moving
