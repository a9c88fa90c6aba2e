"""Mirror links from config: the same work tracked in two trackers, found by rules in ``[[links.mirrors]]``.

Two ways to say that items mirror each other:

* ``by = "reference"`` (the default): an issue or epic whose title or description names an issue of
  *another* connection right after one of the rule's ``markers`` ("Mirror of ENG-12", "mirrors:
  https://github.com/acme/app/issues/4") mirrors that issue. A URL must equal the item's URL; a key must name
  exactly one item in the other connections (a key two trackers share, such as ENG-12 in Jira and Linear,
  is ambiguous and links nothing: use the URL).
* ``by = "title"``: open issues of the rule's ``connections`` (two or more) whose titles are equal (case and
  spacing aside) mirror each other, when that title is unique within each connection.

The links are written with ``origin = "rule"`` under one tag and replaced as a whole after every pull, so
a mirror that is no longer stated disappears. Mirror groups then share one score and one position, and
status rules with ``target = "mirrors"`` act on them (see :mod:`sync.plan.planner`).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sync.model import Item, Kind, Link, LinkType, StatusCategory
from sync.store import Store

log = logging.getLogger(__name__)

TAG = "rule:mirrors"
DEFAULT_MARKERS = ["mirror of", "mirrored from", "mirrors"]
REFERENCE = r"(?P<ref>https?://[^\s<>()\"']+|[\w.-]+/[\w.-]+#\d+|[A-Z][A-Z0-9]+-\d+)"


class MirrorRule(BaseModel):
    """One ``[[links.mirrors]]`` entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    by: Literal["reference", "title"] = "reference"
    markers: list[str] = Field(default_factory=lambda: list(DEFAULT_MARKERS), min_length=1)
    connections: list[str] = Field(
        default_factory=list, description="connections the rule links between (empty: all)"
    )


class LinksConfig(BaseModel):
    """``[links]``: rules that add links the trackers' APIs do not give."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mirrors: list[MirrorRule] = Field(default_factory=list)


def link_mirrors(store: Store, config: LinksConfig) -> int:
    """Recompute every rule-made mirror link from the stored items; returns how many there are."""
    if not config.mirrors:
        store.replace_rule_links(TAG, [])
        return 0
    items = [i for i in store.items() if i.kind != Kind.FEEDBACK.value]
    found: dict[tuple[str, str], str] = {}
    for rule in config.mirrors:
        scoped = [i for i in items if not rule.connections or i.connection in rule.connections]
        pairs = by_reference(scoped, rule.markers) if rule.by == "reference" else by_title(scoped)
        for src, dst in pairs:
            found.setdefault((src, dst) if src < dst else (dst, src), rule.name)
    links = [Link(src, LinkType.MIRRORS.value, "rule", dst_uid=dst) for (src, dst) in sorted(found)]
    store.replace_rule_links(TAG, links)
    return len(links)


def marker_pattern(markers: list[str]) -> re.Pattern[str]:
    words = "|".join(re.escape(m).replace(r"\ ", r"\s+") for m in sorted(markers, key=len, reverse=True))
    return re.compile(rf"(?i:\b(?:{words})\b)[\s:]*{REFERENCE}")


def by_reference(items: list[Item], markers: list[str]) -> list[tuple[str, str]]:
    pattern = marker_pattern(markers)
    by_url = {i.url.rstrip("/"): i for i in items if i.url}
    by_key: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_key[item.key].append(item)
    pairs: list[tuple[str, str]] = []
    for item in items:
        for match in pattern.finditer(f"{item.title}\n{item.body}"):
            ref = match.group("ref").rstrip(".,;:!?").rstrip("/")
            if ref.startswith("http"):
                candidates = [by_url[ref]] if ref in by_url else []
            else:
                candidates = by_key.get(ref, [])
            others = [c for c in candidates if c.connection != item.connection]
            if len(others) == 1:
                pairs.append((item.uid, others[0].uid))
            elif others:
                log.info("%s: %r names %d items in other trackers; not a mirror", item.key, ref, len(others))
    return pairs


def by_title(items: list[Item]) -> list[tuple[str, str]]:
    titled: dict[str, dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        if StatusCategory(item.status_category).is_open and item.kind == Kind.ISSUE.value:
            titled[" ".join(item.title.lower().split())][item.connection].append(item)
    pairs: list[tuple[str, str]] = []
    for per_connection in titled.values():
        unique = sorted(group[0].uid for group in per_connection.values() if len(group) == 1)
        pairs.extend((unique[0], other) for other in unique[1:])
    return pairs
