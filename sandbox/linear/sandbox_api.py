"""``/_sandbox/state`` and ``/_sandbox/edit`` for the Linear emulator (shapes shared by every emulator)."""

from __future__ import annotations

from typing import Any

from sandbox.linear.data import CATEGORY_OF_TYPE, TYPE_OF_CATEGORY, LinearData, enter_state

EDITABLE_FIELDS = ("priority", "estimate", "dueDate", "sortOrder", "description")


def state(data: LinearData) -> dict[str, Any]:
    positions: dict[str, int] = {}
    orders: dict[str, list[str]] = {}
    for team in data.teams.values():
        ordered = data.team_order(team["id"])
        orders[team["key"]] = [i["id"] for i in ordered]
        positions.update({i["id"]: index for index, i in enumerate(ordered)})
    items = [_item(data, issue, positions.get(issue["id"])) for issue in data.issues.values()]
    customers = [
        {
            "native_id": c["id"],
            "name": c["name"],
            "revenue": c["revenue"],
            "size": c["size"],
            "tier": data.tiers[c["_tier"]]["name"] if c.get("_tier") else None,
        }
        for c in data.customers.values()
    ]
    return {
        "items": items,
        "orders": orders,
        "customers": customers,
        "projects": [{"native_id": p["id"], "name": p["name"]} for p in data.projects.values()],
    }


def _item(data: LinearData, issue: dict[str, Any], order: int | None) -> dict[str, Any]:
    state_ = data.states[issue["_state"]]
    team = data.teams[issue["_team"]]
    return {
        "key": issue["identifier"],
        "native_id": issue["id"],
        "title": issue["title"],
        "status": state_["name"],
        "status_category": CATEGORY_OF_TYPE[state_["type"]],
        "order": order,
        "labels": sorted(data.labels[x]["name"] for x in issue["_labels"]),
        "fields": {
            "priority": issue["priority"],
            "sortOrder": issue["sortOrder"],
            "team": team["key"],
            "estimate": issue.get("estimate"),
            "dueDate": issue.get("dueDate"),
            "project": issue.get("_project"),
            "archived": issue.get("archivedAt") is not None,
        },
        "attachments": [
            {"url": a["url"], "title": a["title"], "subtitle": a.get("subtitle")}
            for a in issue["_attachments"]
        ],
        "updated": issue["updatedAt"],
        "deleted": issue.get("archivedAt") is not None,
    }


def edit(data: LinearData, change: dict[str, Any]) -> dict[str, Any]:
    """``delete: true`` trashes the issue (archived and ``trashed``, still listed with includeArchived, as
    Linear's issueDelete does); ``delete: "permanent"`` removes it (``permanentlyDelete``)."""
    issue = data.issues[data.by_identifier[str(change["key"])]]
    if change.get("delete") == "permanent":
        data.remove_issue(issue)
        return {"deleted": issue["identifier"]}
    if "set" in change:
        for name, value in change["set"].items():
            _set(data, issue, name, value)
    if "move" in change:
        _move(data, issue, change["move"].get("after"))
    if change.get("delete"):
        issue["archivedAt"] = data.tick()
        issue["trashed"] = True
    if "raw" in change:
        issue.update(change["raw"])
    data.touch(issue)
    return _item(data, issue, None)


def _set(data: LinearData, issue: dict[str, Any], name: str, value: Any) -> None:
    if name == "title":
        issue["title"] = str(value)
    elif name == "status_category":
        state = data.state_of_type(issue["_team"], TYPE_OF_CATEGORY[str(value)])
        enter_state(issue, state, data.last_tick_iso())
    elif name == "labels":
        issue["_labels"] = [_label(data, str(n)) for n in value]
    elif name == "priority":  # a person's edit: in the issue's history under the person's name
        person = next((u for u in data.users if u != data.viewer_id), "person")
        data.record_priority(issue, float(value), str(person))
        issue["priority"] = float(value)
    elif name in EDITABLE_FIELDS:
        issue[name] = float(value) if name == "sortOrder" else value
    else:
        raise ValueError(f"field {name!r} cannot be set in the Linear sandbox")


def _label(data: LinearData, name: str) -> str:
    for label in data.labels.values():
        if label["name"] == name:
            return str(label["id"])
    label_id = f"label-{len(data.labels) + 1}"
    now = data.last_tick_iso()
    data.labels[label_id] = {
        "id": label_id,
        "name": name,
        "color": "#888888",
        "createdAt": now,
        "updatedAt": now,
    }
    return label_id


def _move(data: LinearData, issue: dict[str, Any], after_key: str | None) -> None:
    """Place ``issue`` directly after ``after_key`` (None: to the top) as a person drags it."""
    order = [i for i in data.team_order(issue["_team"]) if i["id"] != issue["id"]]
    if after_key is None:
        issue["sortOrder"] = (order[0]["sortOrder"] - 1.0) if order else 0.0
        return
    anchor = data.issues[data.by_identifier[after_key]]
    at = next(index for index, i in enumerate(order) if i["id"] == anchor["id"])
    nxt = order[at + 1]["sortOrder"] if at + 1 < len(order) else anchor["sortOrder"] + 2.0
    issue["sortOrder"] = (anchor["sortOrder"] + nxt) / 2
