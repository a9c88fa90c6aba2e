"""What the report shows, read from the store in one pass: the ranking as the last ``rank`` saved it (the
same rows and explanation text ``rankbridge explain`` prints), every item and link, customers, the score
history of the last runs, the journal of writes, and the roadmap alignment and capacity lines the last
ranking run recorded."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from sync.model import Customer, Item, Link, LinkType, report_page
from sync.store import Store
from sync.store.base import now_iso

HISTORY_RUNS = 12  # ranking runs shown in an item's history chart
JOURNAL_READ = 20_000  # latest journal entries read for the item pages and the changes page


def qualified(item: Item) -> str:
    """The reference a person can type anywhere: ``CONNECTION:KEY``."""
    return item.ref


def team_of(item: Item) -> str:
    """The team an item's capacity counts against, as the cut line names it: ``CONNECTION:CONTAINER`` (a
    Jira project, repository, Linear team or Zendesk group of one connection)."""
    return f"{item.connection}:{item.container or ''}"


@dataclass
class Row:
    """One ranked item."""

    item: Item
    rank: int
    score: float
    explanation: str
    components: dict[str, Any]

    @property
    def uid(self) -> str:
        return self.item.uid

    @property
    def ref(self) -> str:
        return qualified(self.item)

    @property
    def page(self) -> str:
        return report_page(self.item.connection, self.item.key)

    @property
    def evidence(self) -> dict[str, Any]:
        found = self.components.get("evidence")
        return found if isinstance(found, dict) else {}

    @property
    def themes(self) -> list[str]:
        return [str(t) for t in self.components.get("themes") or []]

    @property
    def fits(self) -> bool | None:
        value = self.components.get("fits_next_cycle")
        return None if value is None else bool(value)


@dataclass
class Write:
    """One journal entry as an item's page shows it."""

    at: str
    run_id: int
    connection: str
    kind: str
    result: str
    payload: dict[str, Any]
    before: Any


@dataclass
class Site:
    generated: str
    rows: list[Row]
    items: dict[str, Item]
    links_from: dict[str, list[Link]]
    links_to: dict[str, list[Link]]
    customers: dict[str, Customer]
    history: dict[str, list[tuple[str, float, int]]]
    writes: dict[str, list[Write]]
    previous: dict[str, dict[str, Any]]
    rank_run: dict[str, Any] | None
    previous_run: int | None
    alignment: dict[str, Any] | None
    capacity: dict[str, dict[str, Any]]
    recent_writes: list[Write] = field(default_factory=list)
    _rows: dict[str, Row] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rows = {r.uid: r for r in self.rows}

    def row(self, uid: str) -> Row | None:
        return self._rows.get(uid)

    def has_page(self, uid: str) -> bool:
        """Ranked items have a page, and so do items ranked within the history window (leftpage.py)."""
        return uid in self._rows or uid in self.history

    def requests_of(self, uid: str) -> list[Item]:
        """The feedback items (tickets) that ask for ``uid``."""
        found = (
            self.items.get(link.src_uid)
            for link in self.links_to.get(uid, ())
            if link.type == LinkType.REQUESTS
        )
        return [i for i in found if i is not None]


def load(store: Store) -> Site:
    items = {i.uid: i for i in store.item_headlines()}
    rows = []
    for score in store.scores():
        item = items.get(score["uid"])
        if item is None or score["rank"] is None:
            continue
        components = orjson.loads(score["components"] or "{}")
        rows.append(
            Row(item, int(score["rank"]), float(score["score"]), score["explanation"] or "", components)
        )
    links_from: dict[str, list[Link]] = defaultdict(list)
    links_to: dict[str, list[Link]] = defaultdict(list)
    for link in store.links():
        links_from[link.src_uid].append(link)
        if link.dst_uid:
            links_to[link.dst_uid].append(link)
    ranks = store.runs("rank", limit=1)
    rank_run = ranks[0] if ranks else None
    previous = store.previous_scores(rank_run["id"]) if rank_run else {}
    previous_run = next(iter(previous.values()))["run_id"] if previous else None
    stats = json.loads(rank_run["stats"] or "{}") if rank_run else {}
    writes, recent = _writes(store, rank_run["id"] if rank_run else None)
    return Site(
        # Pages say when the ranking they show was made, not when they were written: a page whose content
        # did not change keeps its text, and its file is not rewritten.
        generated=rank_run["started_at"] if rank_run else now_iso(),
        rows=rows,
        items=items,
        links_from=dict(links_from),
        links_to=dict(links_to),
        customers={c.uid: c for c in store.customers()},
        history=_history(store),
        writes=writes,
        previous=previous,
        rank_run=rank_run,
        previous_run=previous_run,
        alignment=stats.get("alignment"),
        capacity=stats.get("capacity") or {},
        recent_writes=recent,
    )


def _history(store: Store) -> dict[str, list[tuple[str, float, int]]]:
    out: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for row in store.score_history(HISTORY_RUNS):
        if row["rank"] is not None:
            out[row["uid"]].append((str(row["at"]), float(row["score"]), int(row["rank"])))
    return dict(out)


def _writes(store: Store, since_run: int | None) -> tuple[dict[str, list[Write]], list[Write]]:
    """Journal entries by the uid of each item they wrote to (a move names several), and the entries of
    the pushes after the latest ranking run (what the latest sync sent), oldest first."""
    by_uid: dict[str, list[Write]] = defaultdict(list)
    recent: list[Write] = []
    for entry in reversed(store.recent_journal(JOURNAL_READ)):
        payload = orjson.loads(entry["payload"] or "{}")
        write = Write(
            at=entry["at"],
            run_id=int(entry["run_id"]),
            connection=entry["connection"],
            kind=entry["kind"],
            result=entry["result"],
            payload=payload,
            before=json.loads(entry["before"] or "null"),
        )
        for native in _targets(payload):
            by_uid[f"{write.connection}:{native}"].append(write)
        if since_run is None or write.run_id > since_run:
            recent.append(write)
    return dict(by_uid), recent


def _targets(payload: dict[str, Any]) -> list[str]:
    if payload.get("item") is not None:
        return [str(payload["item"])]
    return [str(i) for i in payload.get("items") or []]
