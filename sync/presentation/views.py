"""Rich renderings of reports for people; ``--json`` output for scripts is built next to them."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sync.model import Item
from sync.presentation.output import safe
from sync.refs import label

if TYPE_CHECKING:  # annotations only: a command that pulls need not load the planner or the pusher
    from sync.engine import SyncReport
    from sync.plan.planner import Plan
    from sync.pull.streams import PullReport
    from sync.push.pusher import PushReport
    from sync.store import Store


def pull_table(report: PullReport) -> Table:
    table = Table(title="Pull")
    for column in (
        "connection",
        "stream",
        "requests",
        "pages",
        "changed",
        "unchanged",
        "quarantined",
        "gone",
        "error",
    ):
        table.add_column(column, justify="right" if column in ("requests", "pages", "changed") else "left")
    for s in report.streams:
        table.add_row(
            s.connection,
            s.stream,
            str(s.requests),
            str(s.pages),
            str(s.changed),
            str(s.unchanged),
            str(s.quarantined),
            str(len(s.gone)),
            safe(s.error or ""),
        )
    return table


def ranking_rows(
    store: Store, limit: int | None = None, scores: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The ranking for display, from ``scores`` (rows of a ranking just made) or else the stored one."""
    rows = []
    evidence_of = {}
    shared = store.shared_keys()
    for score in (store.scores() if scores is None else scores)[: limit or None]:
        item = store.item(score["uid"])
        if item is None:
            continue
        components = json.loads(score["components"] or "{}")
        evidence_of[item.uid] = components.get("evidence", {})
        rows.append(
            {
                "rank": score["rank"],
                "score": score["score"],
                "key": item.key,
                "ref": item.ref,
                "label": label(item, shared),  # the key, qualified where two connections share it
                "title": item.title,
                "source": item.source,
                "connection": item.connection,
                "status": item.status,
                "status_category": item.status_category,
                "uid": item.uid,
                "feedback": evidence_of[item.uid].get("feedback_count", 0),
                "organisations": evidence_of[item.uid].get("feedback_orgs", 0),
                "arr": evidence_of[item.uid].get("feedback_arr", 0.0),
                "fits_next_cycle": components.get("fits_next_cycle"),
                "change": components.get("change"),
                "explanation": score.get("explanation"),
                "components": components,
            }
        )
    return rows


def ranking_table(rows: list[dict[str, Any]], title: str = "Unified ranking") -> Table:
    table = Table(title=title)
    for column in ("rank", "score", "key", "title", "source", "status", "feedback", "ARR"):
        table.add_column(
            column,
            justify="right" if column in ("rank", "score", "feedback", "ARR") else "left",
            overflow="ellipsis",
            max_width=48 if column == "title" else None,
        )
    for r in rows:
        feedback = f"{r['feedback']} / {r['organisations']} orgs" if r["feedback"] else ""
        arr = f"${r['arr']:,.0f}" if r["arr"] else ""
        table.add_row(
            str(r["rank"]),
            f"{r['score']:.2f}",
            safe(r["label"]),
            safe(r["title"]),
            r["source"],
            safe(r["status"]),
            feedback,
            arr,
        )
    return table


def plan_table(plan: Plan, store: Store) -> Table:
    skipped = "\n".join(f"{name}: {why}" for name, why in plan.skipped.items())
    caption = Text(skipped) if skipped else None
    table = Table(title=f"Plan: {len(plan.ops)} write(s)", caption=caption)
    for column in ("tracker", "kind", "scope", "what"):
        table.add_column(column)
    for connection, ops in sorted(plan.by_connection().items()):
        for op in ops:
            table.add_row(connection, op.kind, safe(op.scope), safe(op.reason))
    return table


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "ops": [
            {
                "connection": o.connection,
                "kind": o.kind,
                "scope": o.scope,
                "payload": o.payload,
                "before": o.before,
                "reason": o.reason,
                "key": o.key,
            }
            for o in plan.ops
        ],
        "kept": plan.notes(),
        "skipped": plan.skipped,
        "naive_rank_writes": plan.naive_rank_writes,
    }


def push_table(report: PushReport) -> Table:
    gone = f"deleted in their tracker (ops dropped, out of the ranking): {', '.join(report.gone)}"
    table = Table(title="Push", caption=Text(gone) if report.gone else None)
    for column in ("tracker", "applied", "already there", "failed"):
        table.add_column(column)
    for connection, stats in sorted(report.by_connection.items()):
        table.add_row(
            connection,
            str(stats.get("applied", 0)),
            str(stats.get("already", 0)),
            str(stats.get("failed", 0)),
        )
    return table


def writes_table(store: Store, run_id: int) -> Table:
    table = Table(title="Written to the trackers")
    for column in ("tracker", "kind", "result", "what"):
        table.add_column(column)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in store.journal_entries(run_id):
        grouped[entry["connection"]].append(entry)
    for connection, entries in sorted(grouped.items()):
        for entry in entries:
            payload = json.loads(entry["payload"])
            what = safe(_describe(payload, store, connection))
            table.add_row(connection, entry["kind"], entry["result"], what)
    return table


def _describe(payload: dict[str, Any], store: Store, connection: str) -> str:
    shared = store.shared_keys()

    def key(native_id: str | None) -> str:
        item = store.item(f"{connection}:{native_id}") if native_id else None
        return label(item, shared) if item else str(native_id)

    if "items" in payload and "after" in payload:
        anchor = f"after {key(payload['after'])}" if payload["after"] else f"before {key(payload['before'])}"
        return f"move {', '.join(key(i) for i in payload['items'][:6])} {anchor}"
    if "field" in payload:
        return f"{key(payload['item'])}: {payload['field']} = {payload['value']}"
    if "category" in payload:
        return f"{key(payload['item'])}: status → {payload['category']}"
    if "body" in payload:
        return f"{key(payload['item'])}: note “{payload['body'][:60]}”"
    if "tags" in payload:
        return f"tag {', '.join(payload['tags'])} on {len(payload['items'])} item(s)"
    return json.dumps(payload)[:80]


def item_line(item: Item) -> str:
    return f"{item.key} [{item.source}] {item.title} ({item.status})"


def print_json(console: Console, data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def sync_failed(report: SyncReport) -> bool:
    return bool(report.pull.failed or (report.push and report.push.errors))


def show_sync(
    console: Console, err: Console, store: Store, report: SyncReport, as_json: bool, dry_run: bool
) -> None:
    if as_json:
        print_json(console, sync_json(report, dry_run))
        return
    console.print(pull_table(report.pull))
    if report.plan is not None:
        console.print(plan_table(report.plan, store))
        for note in report.plan.notes():
            console.print(Text("  ").append_text(safe(note)))
    if report.push is not None:
        console.print(push_table(report.push))
        for error in report.push.errors:
            err.print(error, markup=False)
    console.print(summary_line(report, dry_run))


def summary_line(report: SyncReport, dry_run: bool) -> str:
    reads = sum(s.requests for s in report.pull.streams)
    writes = report.push.applied if report.push else 0
    streams = len(report.pull.streams)
    if report.pull.changed == 0 and (report.plan is None or not report.plan.ops) and not writes:
        return f"nothing changed: {reads} read request(s) over {streams} stream(s), no writes"
    planned = len(report.plan.ops) if report.plan else 0
    mode = " (dry run: nothing written)" if dry_run else ""
    return f"{report.pull.changed} item(s) changed, {planned} op(s) planned, {writes} written{mode}"


def sync_json(report: SyncReport, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "pull": report.pull.as_dict(),
        "plan": plan_json(report.plan) if report.plan else None,
        "push": vars(report.push) if report.push else None,
    }


def show_log(console: Console, entries: list[dict[str, Any]]) -> None:
    """Pushes as people read them (the ops described by ``sync.presentation.people.log_entries``)."""
    if not entries:
        console.print("no pushes yet", markup=False)
    for run in entries:
        failed = sum(1 for op in run["ops"] if op["result"] not in ("ok", "already"))
        tally = f"{len(run['ops'])} op(s)" + (f", {failed} failed" if failed else "")
        console.print(
            f"[bold]push {run['run']}[/] {run['started_at']} {run['status']}: {tally}", highlight=False
        )
        for op in run["ops"]:
            described = op["described"]
            mark = {"ok": "✓", "already": "="}.get(op["result"], "✗")
            line = f"  {mark} {op['connection']} {op['kind']}: {described['change']}"
            if described["reason"]:
                line += f" — failed: {described['reason']}"
            console.print(line, markup=False, highlight=False)


def show_status(console: Console, data: dict[str, Any]) -> None:
    console.print(f"store {data['store']}", markup=False, highlight=False)
    for row in data["connections"]:
        console.print(
            f"[bold]{row['name']}[/] last pull {row['last_pull'] or 'never'} ({row['last_status'] or '-'}),"
            f" last good pull {row['lag'] + ' ago' if row['lag_seconds'] is not None else 'never'},"
            f" pending ops {row['pending_ops']},"
            f" quarantined {row['quarantined']}",
            highlight=False,
        )
        if row["error"]:
            console.print(f"  error: {row['error']}", markup=False)
        for pending in row["pending"]:
            console.print(f"  pending: {pending['op']}: {pending['why']}", markup=False, highlight=False)
        if row.get("paused"):
            pause = row["paused"]
            console.print(
                f"  pushes paused since {pause['since']} (undo of push #{pause['undo_of']}): "
                "`rankbridge resume` to sync again",
                markup=False,
            )
        for cursor in row["cursors"]:
            console.print(f"  cursor {cursor['stream']}: {cursor['value']}", markup=False)
        for note in row["manual_overrides"]:
            console.print(f"  manual override: {note}", markup=False)
    links = data.get("links") or {}
    for entry in links.get("ambiguous_mentions", [])[:10]:
        console.print(
            f"ambiguous mention, not linked: {entry['from']} names {entry['mention']}, which is "
            f"{' and '.join(entry['candidates'])} (write a URL or a qualified reference)",
            markup=False,
            highlight=False,
        )
    if links.get("ambiguous", 0) > 10:
        console.print(
            f"… and {links['ambiguous'] - 10} more ambiguous mentions (status --json)", markup=False
        )
    for run in data.get("interrupted", []):
        where = f" of {run['connection']}" if run["connection"] else ""
        console.print(
            f"interrupted: {run['kind']} run {run['id']}{where} started {run['started_at']} and never "
            "finished (stopped by Ctrl-C or killed); the next run starts over from the saved cursors",
            markup=False,
            highlight=False,
        )
    if data.get("daemon"):
        console.print(f"store in use by {data['daemon']}", markup=False)
    for lease in data.get("leases", []):
        names = f" ({', '.join(lease['connections'])})" if lease["connections"] else ""
        beat = f", last heartbeat {lease['heartbeat']}" if lease["heartbeat"] else ""
        console.print(
            f"lease {lease['lease']}{names}: held by {lease['host']} pid {lease['pid']} since "
            f"{lease['since']}{beat}",
            markup=False,
            highlight=False,
        )
