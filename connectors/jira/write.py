"""Writes to Jira (rank, field, status, comment, tags) and their verification by one batched re-read.

* rank:   ``PUT /rest/agile/1.0/issue/rank`` with up to 50 issues placed after (or before) one anchor;
          204 means all moved, 207 lists per-issue results and the failures go to ``OpResult.failed``.
* field:  ``PUT /rest/api/{v}/issue/{id}?notifyUsers=false`` with ``{"fields": {"customfield_N": v}}``.
* status: ``GET …/transitions`` (only those valid from the current status), pick the one whose
          ``to.statusCategory`` matches, ``POST …/transitions``; at most a few hops when the workflow
          has no direct way (To Do → In Progress → Done).
* comment: ``POST …/comment``; tags: ``PUT …/issue/{id}`` with ``update.labels`` ``add`` operations, so a
          person's labels are never replaced.

A 4xx of one op (unknown issue, invalid transition, field not on the screen) fails that op only:
:class:`OpResult` ``ok=False``; auth errors and exhausted retries propagate.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from typing import Any

from connectors.errors import AuthError, FatalError, Gone
from connectors.jira.client import JiraClient, JsonObject
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import simple_value, status_category
from sync.model import Op, OpKind, OpResult, StatusCategory, batched, marked_text, shows_comment

RANK_PATH = "/rest/agile/1.0/issue/rank"
RANK_FIELD_TYPE = "com.pyxis.greenhopper.jira:gh-lexo-rank"
MAX_RANK_BATCH = 50
MAX_HOPS = 3
# canonical category -> Jira statusCategory.key of the status a write moves to
JIRA_CATEGORY: dict[str, str] = {
    "triage": "new",
    "backlog": "new",
    "todo": "new",
    "in_progress": "indeterminate",
    "done": "done",
    "canceled": "done",
}
VERIFY_BATCH = 100  # ids per verifying search (one page of full issues)
STEP_ORDER = {"new": 0, "indeterminate": 1, "done": 2}
NEW_FAMILY = {StatusCategory.TRIAGE, StatusCategory.BACKLOG, StatusCategory.TO_DO}


class JiraWriter:
    def __init__(self, client: JiraClient, config: JiraConfig) -> None:
        self.client = client
        self.config = config
        self._rank_field: int | None = config.rank_field_number
        self.handlers: dict[str, Callable[[Mapping[str, Any]], OpResult]] = {
            OpKind.RANK: self.rank, OpKind.FIELD: self.set_field, OpKind.STATUS: self.move_status,
            OpKind.COMMENT: self.comment, OpKind.TAGS: self.add_tags, OpKind.UNTAG: self.remove_tags,
        }  # fmt: skip

    def verify(self, ops: list[Op]) -> dict[str, bool]:
        """Re-read every issue the ops touch with batched ``key in (...)`` searches, then judge each op."""
        if not ops:
            return {}
        issues = self._read(sorted({i for op in ops for i in JiraWriter.ids_of(op)}), ops)
        return {op.key: self.shows(op, issues) for op in ops}

    def _read(self, ids: list[str], ops: list[Op]) -> dict[str, JsonObject]:
        fields = self.verify_fields(ops)
        found: dict[str, JsonObject] = {}
        for chunk in batched(ids, VERIFY_BATCH):
            jql = f"key in ({', '.join(chunk)})"
            for page in self.client.search(jql, fields, VERIFY_BATCH):
                for issue in page:
                    found[str(issue["id"])] = issue
                    found[str(issue["key"])] = issue
        return found

    def apply(self, op: Op) -> OpResult:
        handler = self.handlers.get(op.kind)
        if handler is None:
            return OpResult(False, f"jira cannot apply {op.kind!r} ops")
        return handler(op.payload)  # a failure is this op's failed result (Connector.apply)

    # --- rank -------------------------------------------------------------------------------------------
    def rank_field_id(self) -> int:
        """The Rank field's numeric id: from config, else found once in ``GET /field`` by its type."""
        if self._rank_field is None:
            fields = self.client.call("GET", f"{self.client.api}/field").body or []
            ranks = [f for f in fields if (f.get("schema") or {}).get("custom") == RANK_FIELD_TYPE]
            if not ranks:
                raise FatalError("no Rank field (gh-lexo-rank) on this Jira; set rank_field in the config")
            chosen = next((f for f in ranks if f.get("name") == "Rank"), ranks[0])
            self._rank_field = int(str(chosen["id"]).removeprefix("customfield_"))
        return self._rank_field

    def rank(self, payload: Mapping[str, Any]) -> OpResult:
        items = [str(i) for i in payload.get("items") or []]
        after, before = payload.get("after"), payload.get("before")
        if not items:
            return OpResult(True, "nothing to rank")
        if after is None and before is None:
            return OpResult(False, "a Jira rank op needs an anchor (after or before)")
        failed: dict[str, str] = {}
        placed: str | None = None  # the last issue the previous call placed
        for chunk in batched(items, MAX_RANK_BATCH):
            body: JsonObject = {"issues": chunk, "rankCustomFieldId": self.rank_field_id()}
            if placed is not None:  # later chunks chain after it
                body["rankAfterIssue"] = placed
            elif after is not None:
                body["rankAfterIssue"] = str(after)
            else:
                body["rankBeforeIssue"] = str(before)
            reply = self.client.call("PUT", RANK_PATH, body=body, write=True)
            if reply.status == 207:
                failed.update(_rank_failures(reply.body))
            placed = chunk[-1]
        moved = len(items) - len(failed)
        detail = f"ranked {moved} of {len(items)} issue(s)"
        return OpResult(not failed, detail, failed=failed, after={"order": items})

    # --- fields -------------------------------------------------------------------------------------------
    def field_id(self, name: str) -> str:
        if name == "score":
            if not self.config.score_field:
                raise FatalError("no score_field configured for this Jira connection")
            return self.config.score_field
        if name in self.config.fields:
            return self.config.fields[name]
        if name.startswith("customfield_"):
            return name
        raise FatalError(f"unknown field {name!r}: add it to the connection's fields table")

    def set_field(self, payload: Mapping[str, Any]) -> OpResult:
        item, name, value = str(payload["item"]), str(payload["field"]), payload.get("value")
        if name == "rank":
            return OpResult(False, "Jira rank is written with rank ops, not as a field")
        body = {"fields": {self.field_id(name): value}}
        self.client.call(
            "PUT", f"{self.client.api}/issue/{item}", params={"notifyUsers": "false"}, body=body, write=True
        )
        return OpResult(True, f"{name} = {value!r}", after={name: value})

    # --- status -------------------------------------------------------------------------------------------
    def move_status(self, payload: Mapping[str, Any]) -> OpResult:
        item, wanted = str(payload["item"]), StatusCategory(payload["category"])
        path = f"{self.client.api}/issue/{item}/transitions"
        for _ in range(MAX_HOPS):
            transitions = (self.client.call("GET", path).body or {}).get("transitions") or []
            choice, final = self._choose(transitions, wanted)
            named = [t for t in transitions if (t.get("to") or {}).get("name") == payload.get("status")]
            if named and self._reaches(named[0].get("to") or {}, wanted):
                choice, final = named[0], True  # undo: back to the very status the issue had
            if choice is None:
                names = ", ".join(str(t.get("name")) for t in transitions) or "none"
                return OpResult(False, f"no transition towards {wanted} (available: {names})")
            self.client.call("POST", path, body={"transition": {"id": str(choice["id"])}}, write=True)
            if final:
                target = choice.get("to") or {}
                return OpResult(
                    True,
                    f"moved to {target.get('name')}",
                    after={"status": target.get("name"), "status_category": str(wanted)},
                )
        return OpResult(False, f"no path to {wanted} within {MAX_HOPS} transitions")

    def _choose(
        self, transitions: list[JsonObject], wanted: StatusCategory
    ) -> tuple[JsonObject | None, bool]:
        """The transition reaching ``wanted`` (True), else one step nearer to it (False), else None."""
        for transition in transitions:
            if self._reaches(transition.get("to") or {}, wanted):
                return transition, True
        goal = STEP_ORDER[JIRA_CATEGORY[wanted]]
        steps = [t for t in transitions if (t.get("to") or {}).get("name") != self.config.canceled_status]
        scored = [(abs(STEP_ORDER.get(_category_key(t), 9) - goal), t) for t in steps]
        if not scored:
            return None, False
        return min(scored, key=lambda pair: pair[0])[1], False

    def _reaches(self, target: Mapping[str, Any], wanted: StatusCategory) -> bool:
        if wanted is StatusCategory.CANCELED:
            return target.get("name") == self.config.canceled_status
        return self.matches(status_category(target, None, self.config), _key(target), wanted)

    def matches(self, actual: StatusCategory, jira_key: str, wanted: StatusCategory) -> bool:
        """Whether an issue in ``actual`` (Jira key ``jira_key``) shows ``wanted``. Without a status_map
        entry for it, backlog/triage/todo are all Jira's "new" and cannot be told apart."""
        if actual == wanted:
            return True
        mapped = set(self.config.status_map.values())
        return wanted in NEW_FAMILY and wanted not in mapped and jira_key == "new" and actual in NEW_FAMILY

    # --- comments and tags --------------------------------------------------------------------------------
    def comment(self, payload: Mapping[str, Any]) -> OpResult:
        item = str(payload["item"])
        text = marked_text(str(payload["body"]), payload.get("marker"))
        body: Any = text if self.config.api_version == "2" else _adf(text)
        self.client.call("POST", f"{self.client.api}/issue/{item}/comment", body={"body": body}, write=True)
        return OpResult(True, "comment added")

    def remove_tags(self, payload: Mapping[str, Any]) -> OpResult:
        """Undo of :meth:`add_tags`: ``update.labels`` ``remove`` operations, other labels untouched."""
        return self.add_tags(payload, "remove")

    def add_tags(self, payload: Mapping[str, Any], verb: str = "add") -> OpResult:
        update = {"labels": [{verb: str(tag)} for tag in payload.get("tags") or []]}
        failed: dict[str, str] = {}
        gone: list[str] = []
        for item in [str(i) for i in payload.get("items") or []]:
            try:
                self.client.call(
                    "PUT",
                    f"{self.client.api}/issue/{item}",
                    params={"notifyUsers": "false"},
                    body={"update": update},
                    write=True,
                )
            except AuthError:
                raise
            except FatalError as exc:
                failed[item] = str(exc)
                if isinstance(exc, Gone):  # deleted since we read it
                    gone.append(item)
        return OpResult(
            not failed,
            f"labels {verb}: {len(payload.get('items') or []) - len(failed)} issue(s)",
            failed=failed,
            gone=gone,
        )

    # --- verification ---------------------------------------------------------------------------------------
    def verify_fields(self, ops: list[Op]) -> list[str]:
        """What a verifying search reads: status, labels, score and configured fields, and the Rank field
        only when a rank op is among ``ops`` (so its id is looked up only then)."""
        wanted = ["status", "resolution", "labels", self.config.score_field, *self.config.fields.values()]
        if any(op.kind == OpKind.RANK for op in ops):
            wanted.append(f"customfield_{self.rank_field_id()}")
        if any(op.kind == OpKind.COMMENT for op in ops):
            wanted.append("comment")
        return list(dict.fromkeys(f for f in wanted if f))

    @staticmethod
    def ids_of(op: Op) -> list[str]:
        """Native ids an op touches (its items and its anchor)."""
        p = op.payload
        ids = [*(p.get("items") or []), p.get("item"), p.get("after"), p.get("before")]
        return [str(i) for i in ids if i is not None]

    def shows(self, op: Op, issues: Mapping[str, JsonObject]) -> bool:
        """Whether the re-read ``issues`` (by native id) already show the op's intended state."""
        p = op.payload
        if op.kind == OpKind.RANK:
            return self._rank_shows(p, issues)
        issue = issues.get(str(p.get("item")))
        if op.kind == OpKind.FIELD and issue is not None:
            return self._field_shows(issue, str(p["field"]), p.get("value"))
        if op.kind == OpKind.STATUS and issue is not None:
            f = issue["fields"]
            status = f.get("status") or {}
            actual = status_category(status, (f.get("resolution") or {}).get("name"), self.config)
            return self.matches(actual, _key(status), StatusCategory(p["category"]))
        if op.kind in (OpKind.TAGS, OpKind.UNTAG):
            found = [issues.get(str(i)) for i in p.get("items") or []]
            tags = set(p.get("tags") or [])
            if op.kind == OpKind.UNTAG:
                return all(i is not None and not tags & set(i["fields"].get("labels") or []) for i in found)
            return all(i is not None and tags <= set(i["fields"].get("labels") or []) for i in found)
        if op.kind == OpKind.COMMENT and issue is not None:
            comments = (issue["fields"].get("comment") or {}).get("comments") or []
            bodies = [c.get("body") for c in comments if isinstance(c, dict)]
            # ADF (v3) is searched as its JSON text; a v2 body is the text itself.
            texts = [b if isinstance(b, str) else json.dumps(b, ensure_ascii=False) for b in bodies]
            return shows_comment(texts, str(p["body"]), p.get("marker"))
        return False

    def _rank_shows(self, p: Mapping[str, Any], issues: Mapping[str, JsonObject]) -> bool:
        rank_field = f"customfield_{self.rank_field_id()}"
        ids = [str(i) for i in p.get("items") or []]
        chain = ([str(p["after"])] if p.get("after") is not None else []) + ids
        chain += [str(p["before"])] if p.get("after") is None and p.get("before") is not None else []
        ranks = [(issues.get(i) or {}).get("fields", {}).get(rank_field) for i in chain]
        if any(not isinstance(r, str) for r in ranks):
            return False
        return all(a < b for a, b in itertools.pairwise(ranks))

    def _field_shows(self, issue: JsonObject, name: str, value: Any) -> bool:
        try:
            actual = simple_value(issue["fields"].get(self.field_id(name)))
        except FatalError:
            return False
        if isinstance(value, int | float) and isinstance(actual, int | float):
            return abs(float(actual) - float(value)) <= self.config.score_precision
        return bool(actual == value)


def _rank_failures(body: Any) -> dict[str, str]:
    """Per-issue failures of a 207: ``{"entries": [{"issueId", "issueKey", "status", "errors"}]}``."""
    failed: dict[str, str] = {}
    for entry in (body or {}).get("entries") or []:
        if int(entry.get("status") or 0) >= 300:
            ident = str(entry.get("issueId") or entry.get("issueKey"))
            failed[ident] = (
                "; ".join(str(e) for e in entry.get("errors") or []) or f"HTTP {entry.get('status')}"
            )
    return failed


def _key(status: Mapping[str, Any]) -> str:
    return str((status.get("statusCategory") or {}).get("key") or "")


def _category_key(transition: JsonObject) -> str:
    return _key(transition.get("to") or {})


def _adf(text: str) -> JsonObject:
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [""]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}] if p else []} for p in paragraphs
        ],
    }
