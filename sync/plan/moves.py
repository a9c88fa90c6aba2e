"""Minimal reordering: keep the longest increasing subsequence in place, move only the rest.

``minimal_moves(current, desired, max_batch)`` returns runs of moved ids, each with the anchor it goes
directly after (or, for a run at the very top, the anchor it goes directly before). Runs are items adjacent
in the desired order; a tracker that can move several items in one call (Jira: 50) gets chunks of up to
``max_batch``, chained so that each chunk goes after the last item the previous one placed. Applying the
runs left to right turns ``current`` into ``desired``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sync.model import batched


class Move(NamedTuple):
    """Ids to place, in order, directly after ``after`` (or, at the top, directly before ``before``)."""

    items: list[str]
    after: str | None
    before: str | None


def longest_increasing_subsequence(values: list[int]) -> list[int]:
    """Indexes into ``values`` of one longest strictly increasing subsequence (O(n log n))."""
    tails: list[int] = []  # tails[k]: index of the smallest tail of an increasing run of length k+1
    previous: list[int] = [-1] * len(values)
    for i, value in enumerate(values):
        k = _bisect(values, tails, value)
        if k > 0:
            previous[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    out: list[int] = []
    at = tails[-1] if tails else -1
    while at != -1:
        out.append(at)
        at = previous[at]
    return out[::-1]


def _bisect(values: list[int], tails: list[int], value: int) -> int:
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[tails[mid]] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def minimal_moves(
    current: list[str],
    desired: list[str],
    max_batch: int = 1,
    pinned: Collection[str] = (),
    unplaced: Collection[str] = (),
) -> list[Move]:
    """The fewest moves (in runs of at most ``max_batch``) that turn ``current`` into ``desired``.

    Only ids present in both lists take part; others are left where they are. ``pinned`` ids are never
    moved: they keep their place among the items that stay, and the others are ordered by ``desired``
    around them (a moved item goes directly after the item it follows in ``desired``). ``unplaced`` ids
    have no position yet (an issue not on a GitHub board): they always get a move, so that the push that
    puts them on the board also puts them at their place.
    """
    present = set(current)
    wanted = [i for i in desired if i in present]
    fixed = {i for i in pinned if i in present}
    free = [i for i in wanted if i not in fixed]
    position = {item: index for index, item in enumerate(free)}
    skip = set(unplaced)
    sequence = [position[i] for i in current if i in position and i not in skip]
    kept = {free[sequence[i]] for i in longest_increasing_subsequence(sequence)}
    if fixed:
        wanted = _around_pinned(current, free, kept, fixed)
        kept |= fixed
    moves: list[Move] = []
    index = 0
    while index < len(wanted):
        if wanted[index] in kept:
            index += 1
            continue
        end = index
        while end < len(wanted) and wanted[end] not in kept:
            end += 1
        moves.extend(_chunks(wanted, index, end, max(1, max_batch)))
        index = end
    return moves


def _around_pinned(current: list[str], free: list[str], kept: set[str], fixed: set[str]) -> list[str]:
    """The target order when ``fixed`` ids stay put: the kept and fixed ids in their current order, each
    moved id inserted directly after the kept id it follows in ``free`` (or at the top)."""
    top: list[str] = []
    following: dict[str, list[str]] = {}
    anchor: str | None = None
    for item in free:
        if item in kept:
            anchor = item
        elif anchor is None:
            top.append(item)
        else:
            following.setdefault(anchor, []).append(item)
    out = list(top)
    for item in current:
        if item in kept or item in fixed:
            out.append(item)
            out.extend(following.get(item, ()))
    return out


def _chunks(wanted: list[str], start: int, end: int, size: int) -> list[Move]:
    run = wanted[start:end]
    after = wanted[start - 1] if start > 0 else None
    before = wanted[end] if after is None and end < len(wanted) else None
    moves: list[Move] = []
    for chunk in batched(run, size):
        if moves:  # later chunks chain after the last item the previous move placed
            moves.append(Move(chunk, moves[-1].items[-1], None))
        else:
            moves.append(Move(chunk, after, before))
    return moves


def naive_moves(current: list[str], desired: list[str]) -> int:
    """What a naive client sends: one call per item whose position differs."""
    present = set(current)
    wanted = [i for i in desired if i in present]
    return sum(1 for a, b in zip(current, wanted, strict=False) if a != b)
