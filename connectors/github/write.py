"""Writing back: rank as Projects v2 positions, score and other values into project fields, status as the
issue's state (or the project's Status single select), comments and labels over REST; and ``verify``.

Rank: one ``updateProjectV2ItemPosition`` per moved item, left to right, each placed after the item placed
before it (the first after the op's ``after`` anchor, or above its ``before`` anchor; ``afterId`` null puts
an item at the top). Mutations are spaced by ``policy.min_write_interval`` (GitHub asks for one second).
The board is read lazily, once, when a write first needs its ids, and kept in step with our own moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from connectors.errors import FatalError, Gone
from connectors.github.client import GithubClient
from connectors.github.config import GithubConfig
from connectors.github.project import Entry, ProjectSnapshot
from sync.model import Op, OpKind, OpResult, StatusCategory, marked_text, shows_comment

MUTATIONS = "mutations"
CLOSE_REASONS = {StatusCategory.DONE: "completed", StatusCategory.CANCELED: "not_planned"}


def split_native(native_id: str) -> tuple[str, int]:
    repo, _, number = native_id.rpartition("#")
    if not repo or not number.isdigit():
        raise FatalError(f"{native_id!r} is not an owner/repo#number id")
    return repo, int(number)


class Writer:
    def __init__(self, config: GithubConfig, client: GithubClient) -> None:
        self.config = config
        self.client = client
        self._snapshot: ProjectSnapshot | None = None
        self.added: list[str] = []  # issues the op being applied put on the board (journalled for undo)

    # --- the board -----------------------------------------------------------------------------------
    def snapshot(self, fresh: bool = False) -> ProjectSnapshot:
        if self.config.project is None:
            raise FatalError("no project configured for this GitHub connection")
        if self._snapshot is None or fresh:
            self._snapshot = ProjectSnapshot.read(self.client, self.config.project)
        return self._snapshot

    def _entry(self, native_id: str) -> Entry | None:
        snap = self.snapshot()
        entry = snap.by_native.get(native_id)
        if entry is None and self.config.add_missing:
            entry = self._add(native_id)
        return entry

    def _add(self, native_id: str) -> Entry:
        repo, number = split_native(native_id)
        try:
            issue = self.client.request("GET", f"/repos/{repo}/issues/{number}").data
        except Gone as exc:  # deleted (or transferred away): say which item, so the push drops only its ops
            raise Gone(str(exc), native_id) from exc
        snap = self.snapshot()
        data = self.client.graphql(
            MUTATIONS, "AddItem", {"projectId": snap.project_id, "contentId": issue["node_id"]}, write=True
        )
        entry = Entry(
            item_id=data["addProjectV2ItemById"]["item"]["id"],
            native_id=native_id,
            content_id=issue["node_id"],
            state=issue.get("state"),
            state_reason=issue.get("state_reason"),
        )
        snap.add(entry)
        self.added.append(native_id)
        return entry

    # --- apply ---------------------------------------------------------------------------------------
    def apply(self, op: Op) -> OpResult:
        handlers = {
            OpKind.RANK: self.rank,
            OpKind.FIELD: self.field,
            OpKind.STATUS: self.status,
            OpKind.COMMENT: self.comment,
            OpKind.TAGS: self.tags,
            OpKind.UNTAG: self.untag,
            OpKind.UNPLACE: self.unplace,
        }
        handler = next((h for kind, h in handlers.items() if kind.value == op.kind), None)
        if handler is None:
            return OpResult(False, f"github cannot apply {op.kind} ops")
        self.added = []
        result = handler(op.payload)
        if not self.added:
            return result
        # Which issues this op put on the board: `rankbridge undo` takes them off again.
        after = {**result.after, "added": list(self.added)}
        return OpResult(result.ok, result.detail, failed=result.failed, after=after)

    def unplace(self, payload: Mapping[str, Any]) -> OpResult:
        """Take issues off the board (``deleteProjectV2Item``; the issues themselves stay)."""
        snap = self.snapshot()
        removed = []
        for native_id in [str(i) for i in payload["items"]]:
            entry = snap.by_native.get(native_id)
            if entry is None:
                continue  # not on the board (any more): nothing to take off
            variables = {"projectId": snap.project_id, "itemId": entry.item_id}
            self.client.graphql(MUTATIONS, "DeleteItem", variables, write=True)
            snap.discard(entry)
            removed.append(native_id)
        return OpResult(True, f"{len(removed)} item(s) taken off the board", after={"removed": removed})

    def rank(self, payload: Mapping[str, Any]) -> OpResult:
        snap = self.snapshot()
        items = [str(i) for i in payload["items"]]
        after, before = payload.get("after"), payload.get("before")
        previous: str | None = None
        if after is not None:
            anchor = self._entry(after)  # with add_missing, an anchor not yet on the board is added first
            if anchor is None:
                failed = dict.fromkeys(items, f"anchor {after} is not on the project")
                return OpResult(False, f"anchor {after} is not on the project", failed=failed)
            previous = anchor.item_id
        elif before is not None and self._entry(before) is not None:
            moving = {snap.by_native[i].item_id for i in items if i in snap.by_native}
            previous = snap.predecessor(before, skip=moving)
        failed = {}
        moved: list[str] = []
        for native_id in items:
            entry = self._entry(native_id)
            if entry is None:
                failed[native_id] = "not on the project"
                continue
            try:
                self._move(snap, entry, previous)
            except FatalError as exc:
                failed[native_id] = str(exc)
                continue
            moved.append(native_id)
            previous = entry.item_id
        return OpResult(
            not failed, f"moved {len(moved)} of {len(items)}", failed=failed, after={"order": moved}
        )

    def _move(self, snap: ProjectSnapshot, entry: Entry, after_item_id: str | None) -> None:
        index = snap.entries.index(entry)
        above = snap.entries[index - 1].item_id if index > 0 else None
        if above == after_item_id:
            return  # already there: no write
        self.client.graphql(
            MUTATIONS,
            "UpdateItemPosition",
            {"projectId": snap.project_id, "itemId": entry.item_id, "afterId": after_item_id},
            write=True,
        )
        snap.move(entry, after_item_id)

    def field(self, payload: Mapping[str, Any]) -> OpResult:
        name = self._field_name(str(payload["field"]))
        return self._set_value(str(payload["item"]), name, payload["value"])

    def _field_name(self, logical: str) -> str:
        names = {
            "score": self.config.score_field,
            "rank": self.config.rank_field,
            "report": self.config.report_field,
        }
        if logical in names:
            name = names[logical]
            if name is None:
                raise FatalError(f"no {logical}_field configured for this GitHub connection")
            return name
        return logical

    def _set_value(self, native_id: str, name: str, value: Any) -> OpResult:
        snap = self.snapshot()
        info = snap.fields.get(name)
        if info is None:
            return OpResult(False, f"the project has no field {name!r}")
        entry = self._entry(native_id)
        if entry is None:
            return OpResult(
                False, f"{native_id} is not on the project", failed={native_id: "not on the project"}
            )
        if entry.values.get(name) == value:
            return OpResult(True, "already set", after={name: value})
        if value is None:  # undo of a first write: the field goes back to empty
            cleared = {"projectId": snap.project_id, "itemId": entry.item_id, "fieldId": info.id}
            self.client.graphql(MUTATIONS, "ClearFieldValue", cleared, write=True)
            entry.values.pop(name, None)
            return OpResult(True, f"cleared {name}", after={name: None})
        if info.data_type == "SINGLE_SELECT":
            if value not in info.options:
                return OpResult(False, f"{name} has no option {value!r}")
            field_value: dict[str, Any] = {"singleSelectOptionId": info.options[value]}
        elif info.data_type == "NUMBER":
            field_value = {"number": float(value)}
        else:
            field_value = {"text": str(value)}
        variables = {
            "projectId": snap.project_id,
            "itemId": entry.item_id,
            "fieldId": info.id,
            "value": field_value,
        }
        self.client.graphql(MUTATIONS, "SetFieldValue", variables, write=True)
        entry.values[name] = value
        return OpResult(True, f"set {name}", after={name: value})

    def status(self, payload: Mapping[str, Any]) -> OpResult:
        native_id = str(payload["item"])
        category = StatusCategory(payload["category"])
        option = self.config.status_options.get(category)
        if self.config.status_field and option and self.config.project is not None:
            return self._set_value(native_id, self.config.status_field, option)
        repo, number = split_native(native_id)
        path = f"/repos/{repo}/issues/{number}"
        if category.is_open:
            issue = self.client.request("PATCH", path, body={"state": "open"}).data
        else:
            reason = payload.get("reason")
            chosen = reason if reason in ("completed", "not_planned") else CLOSE_REASONS[category]
            issue = self._close(path, chosen)
        entry = self._snapshot.by_native.get(native_id) if self._snapshot else None
        if entry is not None:
            entry.state, entry.state_reason = issue.get("state"), issue.get("state_reason")
        return OpResult(
            True,
            f"state {issue.get('state')}",
            after={"state": issue.get("state"), "state_reason": issue.get("state_reason")},
        )

    def _close(self, path: str, reason: str) -> dict[str, Any]:
        """Close with ``reason``. GitHub ignores ``state_reason`` unless the state changes, so an issue
        already closed for the other reason is reopened and closed again (as in its web interface)."""
        body = {"state": "closed", "state_reason": reason}
        issue: dict[str, Any] = self.client.request("PATCH", path, body=body).data
        if issue.get("state_reason") != reason:
            self.client.request("PATCH", path, body={"state": "open"})
            issue = self.client.request("PATCH", path, body=body).data
        return issue

    def comment(self, payload: Mapping[str, Any]) -> OpResult:
        repo, number = split_native(str(payload["item"]))
        created = self.client.request(
            "POST",
            f"/repos/{repo}/issues/{number}/comments",
            body={"body": marked_text(str(payload["body"]), payload.get("marker"), hidden=True)},
        ).data
        return OpResult(True, "commented", after={"comment_id": created.get("id")})

    def untag(self, payload: Mapping[str, Any]) -> OpResult:
        """Undo of :meth:`tags`: remove each label (``DELETE …/labels/{name}``), the others stay."""
        failed: dict[str, str] = {}
        for native_id in payload["items"]:
            repo, number = split_native(str(native_id))
            for tag in payload["tags"]:
                try:
                    self.client.request("DELETE", f"/repos/{repo}/issues/{number}/labels/{quote(str(tag))}")
                except FatalError as exc:
                    failed[str(native_id)] = str(exc)
        return OpResult(not failed, f"unlabelled {len(payload['items']) - len(failed)}", failed=failed)

    def tags(self, payload: Mapping[str, Any]) -> OpResult:
        failed: dict[str, str] = {}
        gone: list[str] = []  # issues deleted since we read them (404)
        for native_id in payload["items"]:
            repo, number = split_native(str(native_id))
            try:
                self.client.request(
                    "POST", f"/repos/{repo}/issues/{number}/labels", body={"labels": list(payload["tags"])}
                )
            except FatalError as exc:
                failed[str(native_id)] = str(exc)
                if isinstance(exc, Gone):
                    gone.append(str(native_id))
        labelled = f"labelled {len(payload['items']) - len(failed)}"
        return OpResult(not failed, labelled, failed=failed, gone=gone)

    # --- verify --------------------------------------------------------------------------------------
    def verify(self, ops: list[Op]) -> dict[str, bool]:
        needs_board = any(
            op.kind in (OpKind.RANK, OpKind.FIELD, OpKind.UNPLACE)
            or (op.kind == OpKind.STATUS and self.config.status_field)
            for op in ops
        )
        snap = self.snapshot(fresh=True) if needs_board and self.config.project else None
        return {op.key: self._shows(op, snap) for op in ops}

    def _shows(self, op: Op, snap: ProjectSnapshot | None) -> bool:
        p = op.payload
        if op.kind == OpKind.RANK and snap is not None:
            return shows_order(snap.order(), [str(i) for i in p["items"]], p.get("after"), p.get("before"))
        if op.kind == OpKind.FIELD and snap is not None:
            entry = snap.by_native.get(str(p["item"]))
            name = self._field_name(str(p["field"]))
            return entry is not None and same_value(entry.values.get(name), p["value"])
        if op.kind == OpKind.STATUS:
            return self._shows_status(p, snap)
        if op.kind == OpKind.COMMENT:
            repo, number = split_native(str(p["item"]))
            return shows_comment(self._comment_texts(repo, number), str(p["body"]), p.get("marker"))
        if op.kind == OpKind.TAGS:
            return all(self._has_labels(str(i), set(p["tags"])) for i in p["items"])
        if op.kind == OpKind.UNTAG:
            return not any(self._has_any_label(str(i), set(p["tags"])) for i in p["items"])
        if op.kind == OpKind.UNPLACE and snap is not None:
            return not any(str(i) in snap.by_native for i in p["items"])
        return False

    def _comment_texts(self, repo: str, number: int) -> list[str]:
        """Every comment's text on an issue, page by page (100 a page; a short page is the last)."""
        texts: list[str] = []
        for page in range(1, 1000):
            params = {"per_page": 100, "page": page}
            comments = self.client.request("GET", f"/repos/{repo}/issues/{number}/comments", params).data
            rows = [c for c in comments or [] if isinstance(c, dict)]
            texts.extend(str(c.get("body") or "") for c in rows)
            if len(rows) < 100:
                break
        return texts

    def _shows_status(self, p: Mapping[str, Any], snap: ProjectSnapshot | None) -> bool:
        category = StatusCategory(p["category"])
        native_id = str(p["item"])
        option = self.config.status_options.get(category)
        entry = snap.by_native.get(native_id) if snap else None
        if self.config.status_field and option:
            return entry is not None and entry.values.get(self.config.status_field) == option
        if entry is not None and entry.state:
            state, reason = entry.state, entry.state_reason
        else:
            repo, number = split_native(native_id)
            issue = self.client.request("GET", f"/repos/{repo}/issues/{number}").data
            state, reason = issue.get("state"), issue.get("state_reason")
        if category.is_open:
            return state == "open"
        canceled = reason in ("not_planned", "duplicate")
        return state == "closed" and canceled == (category == StatusCategory.CANCELED)

    def _has_any_label(self, native_id: str, tags: set[str]) -> bool:
        repo, number = split_native(native_id)
        labels = self.client.request("GET", f"/repos/{repo}/issues/{number}/labels").data or []
        return bool(tags & {lab.get("name") for lab in labels})

    def _has_labels(self, native_id: str, tags: set[str]) -> bool:
        repo, number = split_native(native_id)
        labels = self.client.request("GET", f"/repos/{repo}/issues/{number}/labels").data or []
        return tags <= {lab.get("name") for lab in labels}


def shows_order(order: list[str], items: list[str], after: str | None, before: str | None) -> bool:
    """Whether ``items`` sit together in ``order`` directly after ``after``, or above ``before``.

    A run placed before its anchor is the first chunk of a run at the top; the planner places the following
    chunks after it, so they may stand between it and the anchor: only "above" is required there."""
    index = {native_id: i for i, native_id in enumerate(order)}
    if any(i not in index for i in items):
        return False
    spots = [index[i] for i in items]
    if spots != list(range(spots[0], spots[0] + len(spots))):
        return False
    if after is not None:
        return index.get(after, -2) + 1 == spots[0]
    if before is not None:
        return before in index and spots[-1] < index[before]
    return spots[0] == 0


def same_value(current: Any, wanted: Any) -> bool:
    if isinstance(current, int | float) and isinstance(wanted, int | float):
        return abs(float(current) - float(wanted)) < 1e-9
    return bool(current == wanted)
