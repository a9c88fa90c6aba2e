"""Pulling: one ``issues:<owner>/<repo>`` stream per repository and, with a project configured, the
``project`` stream.

Issues: ``GET /repos/{o}/{r}/issues?state=all&sort=updated&direction=asc&since=…&per_page=…`` following
``Link`` headers. The cursor is JSON ``{"since", "etag"}``: ``since`` is the shared cursor's value
(:mod:`connectors.cursor`: the newest ``updated_at`` seen, a closed start, never past the run's start; no
settling: an unchanged repository already costs one 304); ``etag`` is kept only when it belongs to the
very request the next pull will send, so an unchanged repository answers 304 (no body, no rate-limit cost).

Project: the board is read whole in position order (positions are relative, so a partial read means
nothing). Its cursor is JSON ``{"updated_at", "read_at"}``: the board's ``updatedAt`` and when it was last
read whole. When the first page shows the same ``updatedAt`` nothing on the board changed and the pull
stops after that one request, unless the last whole read is older than ``project_full_read_hours``:
GitHub does not document that a reorder (or a field edit) moves ``updatedAt``, so a person's changes
reach us within that time even if it does not. ``updatedAt`` has whole seconds, so an equal value proves
nothing changed only when the whole read that recorded it started at least a second later (an edit in
that same second, after the read, would show the same value); until then the board is read whole again.
Only the last page carries the new cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Page
from connectors.cursor import IncrementalCursor, floor_second
from connectors.github.client import GithubClient, LinkPaginator
from connectors.github.config import ProjectRef
from connectors.github.normalize import is_pull_request
from connectors.github.project import read_pages
from connectors.http import Answer
from connectors.paging import PageRequest, paginate
from sync.model import Item, parse_utc

ISSUES = "issues:"
PROJECT = "project"
SINCE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class IssueCursor:
    since: str | None = None
    etag: str | None = None

    @classmethod
    def parse(cls, cursor: str | None) -> IssueCursor:
        if not cursor:
            return cls()
        try:
            data = json.loads(cursor)
        except ValueError:
            return cls(since=cursor)  # a bare timestamp
        return cls(since=data.get("since"), etag=data.get("etag"))

    def dump(self) -> str:
        return json.dumps({"since": self.since, "etag": self.etag}, sort_keys=True)


def issue_of(repo: str, item: Item) -> bool:
    """``Stream.holds`` of ``issues:<repo>``: the list (``state=all``) has every issue of the repository
    (pull requests are skipped, milestones come with their issues)."""
    return item.container == repo and item.native_id.startswith(f"{repo}#")


def since_text(moment: datetime) -> str:
    """GitHub's ``since``: UTC, whole seconds (its documented ``YYYY-MM-DDTHH:MM:SSZ``)."""
    return moment.astimezone(UTC).strftime(SINCE_FORMAT)


def _within(moment: Any, now: datetime, span: timedelta) -> bool:
    """Whether the timestamp ``moment`` is less than ``span`` before ``now`` (False when not a time)."""
    try:
        return now - parse_utc(str(moment)) < span if moment else False
    except ValueError:
        return False


def _updated(payload: dict[str, Any]) -> datetime | None:
    try:
        return parse_utc(str(payload["updated_at"]))
    except (KeyError, ValueError, TypeError):
        return None  # malformed: normalize() quarantines it; it does not move the cursor


def pull_issues(
    client: GithubClient,
    repo: str,
    cursor: str | None,
    run_started: datetime,
    conditional: bool = True,
    max_pages: int = 10_000,
    page_size: int = 100,
) -> Iterator[Page]:
    start = IssueCursor.parse(cursor)
    params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc", "per_page": page_size}
    if start.since:
        params["since"] = start.since
    state = IncrementalCursor(parse_utc(start.since) if start.since else None, run_started, settle=False)
    state.floor = floor_second
    etag = start.etag if conditional else None
    paginator = LinkPaginator(f"/repos/{repo}/issues", params)
    first_etag: str | None = None

    def send(request: PageRequest) -> Answer:
        headers = {"If-None-Match": etag} if etag and request.url == paginator.path else None
        return client.request("GET", request.url or paginator.path, request.params, headers=headers)

    for rows, answer in paginate(send, paginator, f"GET /repos/{repo}/issues", max_pages):
        if answer.status == 304:
            yield Page([], start.dump())
            return
        first_etag = first_etag or answer.headers.get("etag")
        for payload in rows:
            state.observe(_updated(payload))
        value = state.page_value()
        since = since_text(value) if value is not None else start.since
        last = not paginator.has_next_page
        keep_etag = first_etag if last and conditional and since == start.since else None
        yield Page([p for p in rows if not is_pull_request(p)], IssueCursor(since, keep_etag).dump())


def pull_project(
    client: GithubClient,
    ref: ProjectRef,
    cursor: str | None,
    run_started: datetime,
    full_read_every: timedelta,
    max_pages: int = 10_000,
) -> Iterator[Page]:
    state = json.loads(cursor) if cursor else {}
    known, read_at = state.get("updated_at"), state.get("read_at")
    recent = _within(read_at, run_started, full_read_every)
    for page in read_pages(client, ref, max_pages):
        if page.start == 0 and recent and page.updated_at == known and _settled(known, read_at):
            yield Page([], cursor)
            return
        if page.start == 0:
            known = page.updated_at
        payloads = [
            {"position": page.start + offset, "item": node}
            for offset, node in enumerate(page.nodes)
            if (node.get("content") or {}).get("__typename") == "Issue"
        ]
        done = {"updated_at": known, "read_at": since_text(run_started)}
        yield Page(payloads, None if page.has_next else json.dumps(done))


def _settled(known: str | None, read_at: str | None) -> bool:
    """Whether an unchanged ``updatedAt`` proves an unchanged board: the read that saw ``known`` began a
    whole second after it, so any later edit carries a later second."""
    if known is None or read_at is None:
        return False
    try:
        return parse_utc(read_at) - parse_utc(known) >= timedelta(seconds=1)
    except ValueError:
        return False
