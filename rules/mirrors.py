"""Mirror groups: items joined by ``mirrors`` links (the same work in several trackers), found with a
union-find so chains (A↔B, B↔C) form one group. A group is scored once and ranked at one position."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable

from sync.model import Link, LinkType


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, uid: str) -> str:
        root = uid
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(uid, uid) != root:  # path compression
            self.parent[uid], uid = root, self.parent[uid]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            self.parent[high] = low
            self.parent.setdefault(low, low)


def mirror_groups(links: Iterable[Link], known: Container[str]) -> dict[str, tuple[str, ...]]:
    """uid -> the sorted uids of its mirror group, for items in a group of two or more (others absent)."""
    sets = UnionFind()
    for link in links:
        if link.type != LinkType.MIRRORS or link.dst_uid is None:
            continue
        if link.src_uid in known and link.dst_uid in known and link.src_uid != link.dst_uid:
            sets.union(link.src_uid, link.dst_uid)
    members: dict[str, list[str]] = defaultdict(list)
    for uid in sets.parent:
        members[sets.find(uid)].append(uid)
    groups: dict[str, tuple[str, ...]] = {}
    for uids in members.values():
        group = tuple(sorted(uids))
        for uid in group:
            groups[uid] = group
    return groups
