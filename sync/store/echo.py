"""Echo suppression: a change we pushed comes back on the next pull as our own and triggers nothing.

A re-pulled record is our echo when every difference from the stored row is a value we wrote since we
last read that row (compared with the ``pushed`` memory the journal keeps, not by markers in the text).

Positions are relative: moving one item shifts the positions of others in trackers that number them (a
GitHub project). So a change of ``native_rank`` is ours when we moved this item since we read it, or when
we applied any rank op to the same connection since we read it (``reordered_at``). A person's move in that
window is therefore not seen here; it is seen by the planner, which compares the order it expects (the
order it last observed plus our journalled moves) with the order the tracker shows
(:mod:`sync.plan.positions`).
"""

from __future__ import annotations

import json
from typing import Any

IGNORED = {"updated_at", "content_hash", "stream", "pulled_at"}
# Columns a write of the logical field (key) changes in the tracker.
EFFECTS = {
    "native_rank": ("rank_after",),
    "priority": ("priority",),
    "priority_level": ("priority",),
    "status": ("status_category",),
    "status_id": ("status_category",),
    "status_category": ("status_category",),
    "labels": ("tags",),
}
# Fields a tracker adds when one of our writes puts the item on a board (a GitHub project item's id).
# Also the person's priority Linear's history keeps once we first change an issue's priority.
ATTACHED = {"project_item_id", "priority_by_person"}


def is_echo(
    old: dict[str, Any],
    new: dict[str, Any],
    pushed: dict[str, tuple[Any, str]],
    reordered_at: str | None = None,
    last_pull: str | None = None,
) -> bool:
    """``pushed`` maps logical field names to (value, when) of our latest write for this item;
    ``reordered_at`` is when we last applied a rank op to the item's connection (None: never);
    ``last_pull`` is when the connection's previous pull started: an item two streams describe (a GitHub
    issue and its project item) was already re-read by the first stream of this pull, and our writes since
    the previous pull still explain what the second stream brings."""
    read_at = min(stamp for stamp in (old.get("pulled_at") or "", last_pull) if stamp is not None)
    recent = {name: value for name, (value, at) in pushed.items() if at >= read_at}
    if reordered_at is not None and reordered_at >= read_at:
        recent.setdefault("rank_after", None)
    if not recent:
        return False
    for column in new.keys() - IGNORED:
        if old.get(column) == new.get(column):
            continue
        if column == "fields":
            if not _fields_echo(old.get("fields"), new.get("fields"), recent):
                return False
        elif not any(cause in recent for cause in EFFECTS.get(column, ())):
            return False
    return True


def _fields_echo(old: str | None, new: str | None, recent: dict[str, Any]) -> bool:
    before, after = json.loads(old or "{}"), json.loads(new or "{}")
    for key in before.keys() | after.keys():
        if before.get(key) == after.get(key):
            continue
        if key in ATTACHED and before.get(key) is None:
            continue
        if key not in recent or not _close(recent[key], after.get(key)):
            return False
    return True


def _close(ours: Any, theirs: Any) -> bool:
    try:
        return abs(float(ours) - float(theirs)) < 1e-6
    except (TypeError, ValueError):
        return bool(ours == theirs)
