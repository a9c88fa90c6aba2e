"""Links resolved within the connection their evidence names, recomputed from every stored item after each
pull, so the result depends on what is stored and never on the order connections were pulled in.

A link's ``dst_ref`` says what its evidence named:

* ``uid:<uid>``: that item.
* ``service:<type>:<KEY>``: the item with KEY among connections of that service type (Zendesk's Jira
  integration names a Jira issue: it never resolves to a Linear issue with the same key);
  ``native:<type>:<id>`` likewise by native id.
* ``url:<URL>``: the item with that URL; else the key the URL carries (``…/browse/ENG-16``,
  ``…/<workspace>/issue/ENG-16/<slug>``, ``…/<owner>/<repo>/issues/5``) among items whose own URLs have the
  same base, i.e. within the connection whose base URL the mention carries (a Linear slug that changed with
  the title still resolves).
* ``key:<KEY>``: a key written in text. An item of the mentioning item's own connection with that key wins
  (a tracker's text naming its own issue); else the items of any connection with that key: exactly one is
  the target, several (Jira ENG-16 and Linear ENG-16) make the mention *ambiguous*: it is reported and links
  nothing, rather than attaching evidence to whichever tracker sorts first.

A target pulled later is found by the next resolution; a mention that becomes ambiguous (the second tracker
with that key arrived) is unlinked then, whatever the order of the pulls.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from sync.store import Store

log = logging.getLogger(__name__)

_KEY = r"[A-Z][A-Z0-9_]*-\d+"
URL_FORMS = (
    re.compile(rf"^(?P<base>https?://.+?)/browse/(?P<key>{_KEY})/?$"),  # Jira
    re.compile(rf"^(?P<base>https?://[^/]+/[^/]+)/issue/(?P<key>{_KEY})(?:/[^/]*)?/?$"),  # Linear
    re.compile(r"^(?P<base>https?://[^/]+)/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues/(?P<n>\d+)/?$"),  # GitHub
)
SHOWN_AMBIGUOUS = 50  # ambiguous mentions kept in the link run's record (all are counted)


class Target(NamedTuple):
    """What resolution knows of one stored item (a tuple: a store holds a hundred thousand of them)."""

    uid: str
    connection: str
    source: str
    native_id: str
    key: str
    url: str | None
    deleted: int  # 0 or 1, as stored

    @property
    def ref(self) -> str:
        return f"{self.connection}:{self.key.removeprefix('#')}"


@dataclass
class Resolution:
    linked: int = 0
    unresolved: int = 0
    changed: int = 0
    ambiguous: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "linked": self.linked,
            "unresolved": self.unresolved,
            "changed": self.changed,
            "ambiguous": len(self.ambiguous),
            "ambiguous_mentions": self.ambiguous[:SHOWN_AMBIGUOUS],
        }


def url_parts(url: str) -> tuple[str, str] | None:
    """``(base, key)`` of a tracker URL (query and fragment dropped), or None."""
    bare = url.split("#", 1)[0].split("?", 1)[0] if "/issues/" not in url else url.split("?", 1)[0]
    for form in URL_FORMS:
        match = form.match(bare)
        if match:
            groups = match.groupdict()
            key = groups.get("key") or f"{groups['owner']}/{groups['repo']}#{groups['n']}"
            return match["base"], key
    return None


class Resolver:
    """The index of every stored item a reference may name."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.by_uid: dict[str, Target] = {}
        self.by_url: dict[str, list[Target]] = defaultdict(list)
        self.by_key: dict[str, list[Target]] = defaultdict(list)
        for target in targets:
            self.by_uid[target.uid] = target
            self.by_key[target.key].append(target)
            if target.url:
                self.by_url[target.url.rstrip("/")].append(target)

    @cached_property
    def by_base_key(self) -> dict[tuple[str, str], list[Target]]:
        """Items by the base URL and key their URLs carry (built when a URL first fails to match exactly)."""
        found: dict[tuple[str, str], list[Target]] = defaultdict(list)
        for urls in self.by_url.values():
            for target in urls:
                parts = url_parts(target.url or "")
                if parts is not None:
                    found[parts].append(target)
        return found

    def resolve(self, src_uid: str, ref: str) -> list[Target]:
        """The items ``ref`` may name (one: resolved; none: not yet known; several: ambiguous)."""
        form, _, value = ref.partition(":")
        if form == "uid":
            found = [self.by_uid[value]] if value in self.by_uid else []
        elif form == "service":
            service, _, key = value.partition(":")
            found = [t for t in self.by_key.get(key, ()) if t.source == service]
        elif form == "native":
            service, _, native = value.partition(":")
            found = [t for t in self.by_uid.values() if t.source == service and t.native_id == native]
        elif form == "url":
            found = self._url(value)
        elif form == "key":
            found = self._key(src_uid, value)
        else:
            found = []
        live = [t for t in found if not t.deleted]
        return live or found

    def _url(self, url: str) -> list[Target]:
        exact = self.by_url.get(url.rstrip("/"))
        if exact:
            return exact
        parts = url_parts(url)
        return list(self.by_base_key.get(parts, ())) if parts else []

    def _key(self, src_uid: str, key: str) -> list[Target]:
        found = self.by_key.get(key, [])
        source = self.by_uid.get(src_uid)
        own = [t for t in found if source is not None and t.connection == source.connection]
        return own or found


def resolve_links(store: Store) -> Resolution:
    """Point every link with a reference at the one item it names, or at nothing (not yet pulled, or
    ambiguous); store only what changed and report the ambiguous mentions."""
    resolver = Resolver(Target._make(row) for row in store.link_targets())
    result = Resolution()
    updates: list[tuple[str | None, str]] = []
    parents: list[tuple[str, str]] = []  # an epic named by key (Jira's Epic Link): the child's parent
    for link_id, src_uid, dst_ref, dst_uid, link_type in store.referencing_links():
        found = resolver.resolve(src_uid, dst_ref)
        uid = found[0].uid if len(found) == 1 else None
        if len(found) > 1:
            source = resolver.by_uid.get(src_uid)
            result.ambiguous.append(
                {
                    "from": source.ref if source else src_uid,
                    "mention": dst_ref.partition(":")[2],
                    "candidates": sorted(t.ref for t in found),
                }
            )
        if uid is None:
            result.unresolved += 1
        else:
            result.linked += 1
        if uid != dst_uid:
            updates.append((uid, link_id))
        if uid is not None and link_type == "parent":
            parents.append((uid, src_uid))
    result.changed = len(updates)
    store.set_link_targets(updates, parents)
    _report(store, result)
    return result


def _report(store: Store, result: Resolution) -> None:
    """Record the resolution as a ``link`` run (``rankbridge status`` lists its ambiguous mentions) and log
    them: as a warning when they differ from the previous resolution's, else only with ``-v``."""
    previous = store.runs("link", limit=1)
    before = json.loads(previous[0]["stats"] or "{}").get("ambiguous_mentions") if previous else None
    stats = result.as_dict()
    run_id = store.start_run("link")
    store.finish_run(run_id, "ok", stats)
    new = stats["ambiguous_mentions"] != before
    for entry in result.ambiguous[:20]:
        log.log(
            logging.WARNING if new else logging.INFO,
            "%s mentions %s, which names %s: not linked (write a URL or a qualified reference)",
            entry["from"],
            entry["mention"],
            " and ".join(entry["candidates"]),
        )


def last_resolution(store: Store) -> dict[str, Any] | None:
    """The latest resolution's figures and ambiguous mentions (what ``rankbridge status`` shows)."""
    runs = store.runs("link", limit=1)
    return json.loads(runs[0]["stats"] or "{}") if runs else None
