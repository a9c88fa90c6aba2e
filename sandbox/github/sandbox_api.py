"""The GitHub emulator's ``/_sandbox/state`` and ``/_sandbox/edit`` (shapes common to all emulators, see
:meth:`sandbox.framework.Emulator.state`): issues with their project position and field values, and edits
as a person makes them in GitHub's UI (``updated`` moves)."""

from __future__ import annotations

from typing import Any

from sandbox.github.data import Issue, World, iso


def category(issue: Issue) -> str:
    if issue.state == "open":
        return "todo"
    return "canceled" if issue.state_reason in ("not_planned", "duplicate") else "done"


def state(world: World) -> dict[str, Any]:
    p = world.project
    positions = p.positions() if p else {}
    items = [state_of(world, i, positions) for i in world.issues.values() if not i.is_pull]
    items.sort(key=lambda e: (e["key"].split("#")[0], int(e["key"].split("#")[1])))
    project = None
    if p is not None:
        order = [world.by_node[i.content_id].key for i in p.items if i.content_id in world.by_node]
        project = {
            "id": p.id,
            "owner": p.owner,
            "number": p.number,
            "updated": iso(p.updated_at),
            "order": order,
        }
    return {"items": items, "project": project}


def state_of(world: World, issue: Issue, positions: dict[str, int]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    p = world.project
    item = p.item_for(issue.node_id) if p else None
    if p is not None and item is not None:
        fields["project_item_id"] = item.id
        for f in p.fields:
            value = item.values.get(f.id)
            if value is not None:
                fields[f.name] = f.option_name(value) if f.data_type == "SINGLE_SELECT" else value
    return {
        "key": issue.key,
        "native_id": issue.key,
        "title": issue.title,
        "status": issue.state,
        "status_category": category(issue),
        "order": positions.get(issue.node_id),
        "labels": list(issue.labels),
        "fields": fields,
        "updated": iso(issue.updated_at),
    }


def edit(world: World, change: dict[str, Any]) -> dict[str, Any]:
    issue = world.issue_by_key(str(change["key"]))
    if change.get("delete"):
        world.delete(issue)
        return {"deleted": issue.key}
    if "raw" in change:
        issue.raw.update(change["raw"])
        world.touch(issue)
    if "move" in change:
        move(world, issue, change["move"].get("after"))
    for name, value in (change.get("set") or {}).items():
        set_value(world, issue, name, value)
    p = world.project
    return state_of(world, issue, p.positions() if p else {})


def move(world: World, issue: Issue, after_key: str | None) -> None:
    p = world.project
    item = p.item_for(issue.node_id) if p else None
    if p is None or item is None:
        raise KeyError(f"{issue.key} is not in the project")
    after = None
    if after_key is not None:
        after = p.item_for(world.issue_by_key(after_key).node_id)
        if after is None:
            raise KeyError(f"{after_key} is not in the project")
    p.move(item, after)
    world.touch_item(item)


def set_value(world: World, issue: Issue, name: str, value: Any) -> None:
    if name in ("title", "body"):
        setattr(issue, name, str(value))
    elif name == "labels":
        issue.labels = world.label_names(world.repos[issue.repo], list(value))
    elif name == "status_category":
        if value in ("done", "canceled"):
            reason = "completed" if value == "done" else "not_planned"
            if issue.state == "closed":
                issue.state_reason = reason
            else:
                world.set_state(issue, "closed", reason)
        elif issue.state == "closed":
            world.set_state(issue, "open", None)
    else:
        set_field(world, issue, name, value)
        return
    world.touch(issue)


def set_field(world: World, issue: Issue, name: str, value: Any) -> None:
    p = world.project
    f = p.field_named(name) if p else None
    item = p.item_for(issue.node_id) if p else None
    if p is None or f is None or item is None:
        raise KeyError(f"no project field {name!r} for {issue.key}")
    if value is None:
        item.values.pop(f.id, None)
    elif f.data_type == "SINGLE_SELECT":
        option = next((oid for oid, label in f.options if label == value), None)
        if option is None:
            raise ValueError(f"{name} has no option {value!r}")
        item.values[f.id] = option
    else:
        item.values[f.id] = float(value) if f.data_type == "NUMBER" else str(value)
    world.touch_item(item)
