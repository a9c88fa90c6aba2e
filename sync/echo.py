"""Echo suppression: a change we pushed comes back on the next pull as our own and triggers nothing.

A re-pulled record is our echo when every difference from the stored row is a value we wrote since we
last read that row (compared with the ``pushed`` memory the journal keeps, not by markers in the text).
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


def is_echo(old: dict[str, Any], new: dict[str, Any], pushed: dict[str, tuple[Any, str]]) -> bool:
    """``pushed`` maps logical field names to (value, when) of our latest write for this item."""
    recent = {name: value for name, (value, at) in pushed.items() if at >= (old.get("pulled_at") or "")}
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
        if key not in recent or not _close(recent[key], after.get(key)):
            return False
    return True


def _close(ours: Any, theirs: Any) -> bool:
    try:
        return abs(float(ours) - float(theirs)) < 1e-6
    except (TypeError, ValueError):
        return bool(ours == theirs)
