"""Reading issues incrementally by ``updated`` with the shared cursor (:mod:`connectors.cursor` holds its
semantics and the proof that no update is lost).

The JQL is ``(<configured jql>) AND updated >= "<yyyy-MM-dd HH:mm>" ORDER BY updated ASC``. JQL compares
dates to the minute, as wall-clock time in the API user's profile zone, so the start is the cursor written
in that zone and floored to its minute (:func:`jql_since`, the one place that formats it): a closed start
whose overlap the store de-duplicates by uid. The cursor's granularity is therefore the minute
(``floor_minute``), its lag is ``index_lag`` (default 60 s: how long an edit may take to become visible to
search) and ``D`` is the ``Date`` of the search's first response. Once the last change is more than
``index_lag`` plus one minute old, a pull with nothing new is one request, whatever the last minute held.

**The user's zone.** JQL has no zone syntax and no documented zone-free date form (the JQL field reference
lists ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd HH:mm"``, dates and relative periods only): a literal is read in
the zone of the API user's profile. Written in the wrong zone, the start is hours late for a user west of
it, and the updates of those hours are skipped for good. So the zone is Jira's own answer, ``timeZone`` of
``GET .../myself``, asked on the first pull and kept in the cursor, as an RFC 9557 suffix
(``2026-01-05T17:00:00.000Z[America/Los_Angeles]``), so that a later pull costs no request for it and a
change of daylight-saving time is the zone's, not a fixed offset's. A cursor without a zone (written by an
older version) makes the pull ask again. A configured ``timezone`` is only checked against Jira's.

**Data Center's offsets.** Cloud pages with a token; Data Center with ``startAt``, and an issue edited
while we page moves to the end of the order, shifting the ones after it. Its paginator checks each page
boundary (connectors/jira/client.py, :class:`OffsetSearch`) and, when the order moved, we search again
from the newest ``updated`` read, before anything past the boundary was handed on: every issue not yet
read is at least that recent, and the cursors already committed are not past it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import Page
from connectors.cursor import IncrementalCursor, floor_minute
from connectors.errors import FatalError, RetriableError
from connectors.jira.client import JiraClient, ResultsShifted
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import jira_time, search_fields
from sync.model import parse_utc, utc_iso

log = logging.getLogger(__name__)

RESEARCHES = 5  # searches again after Data Center's offsets moved, before the pull is retried later


def jql_since(since: datetime, zone: str) -> str:
    """A cursor as a JQL date literal: its minute, as wall-clock time in ``zone`` (the API user's)."""
    return f"{since.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def incremental_jql(config: JiraConfig, since: datetime | None, zone: str) -> str:
    """The pull's JQL: everything on a first pull, from the minute of ``since`` in ``zone`` afterwards."""
    where = f"({config.jql})"
    if since is not None:
        where += f' AND updated >= "{jql_since(since, zone)}"'
    return f"{where} ORDER BY updated ASC"


def read_cursor(cursor: str | None) -> tuple[datetime | None, dict[str, str]]:
    """A stored cursor as (moment, what the pull learned of the site): RFC 9557 suffix tags, the API user's
    zone (``[America/Los_Angeles]``, as ``zone``) and ``[epic-link=<field id or none>]``; a cursor
    written before a tag existed lacks it, and the pull learns it again."""
    if not cursor:
        return None, {}
    stamp, _, rest = cursor.partition("[")
    tags: dict[str, str] = {}
    for tag in rest.rstrip("]").split("]["):
        name, equals, value = tag.partition("=")
        if equals:
            tags[name] = value
        elif tag:
            tags["zone"] = tag
    return parse_utc(stamp), tags


def write_cursor(moment: datetime, tags: dict[str, str]) -> str:
    extra = "".join(f"[{name}={value}]" for name, value in tags.items() if name != "zone")
    return f"{utc_iso(moment)}[{tags['zone']}]{extra}"


def learn_site(client: JiraClient, config: JiraConfig, known: dict[str, str]) -> dict[str, str]:
    """The API user's zone and the Epic Link field, from the cursor, else asked of Jira (first pull)."""
    tags = dict(known)
    if "zone" not in tags or (config.timezone is not None and tags["zone"] != config.timezone):
        tags["zone"] = user_zone(client, config)
    if config.epic_link_field is not None:
        tags["epic-link"] = config.epic_link_field
    elif "epic-link" not in tags:
        tags["epic-link"] = client.epic_link_field() or "none"
    client.epic_link = None if tags["epic-link"] == "none" else tags["epic-link"]
    return tags


def user_zone(client: JiraClient, config: JiraConfig) -> str:
    """Jira's answer for the API user's zone; a configured ``timezone`` must agree with it."""
    return agreed_zone(config, client.user_zone())


def agreed_zone(config: JiraConfig, answered: str | None) -> str:
    """The zone Jira answered (``timeZone`` of myself), checked against a configured one."""
    if answered is None:
        if config.timezone is None:
            raise FatalError(
                "Jira does not show the API user's time zone (GET myself gives no timeZone, hidden by the "
                "profile's privacy settings): set timezone to the zone of that user's profile"
            )
        return config.timezone
    if config.timezone is not None and ZoneInfo(config.timezone) != ZoneInfo(answered):
        raise FatalError(
            f"timezone = {config.timezone!r} but Jira reads JQL dates in the API user's zone {answered!r}: "
            "remove timezone from the connection (it is read from Jira) or correct it"
        )
    return answered


def pull_issues(
    client: JiraClient, config: JiraConfig, cursor: str | None, run_started: datetime, max_pages: int
) -> Iterator[Page]:
    """Pages of raw issues with the cursor to commit with each (None: nothing newer than the stored one)."""
    stored, known = read_cursor(cursor)
    tags = learn_site(client, config, known)
    zone = tags["zone"]
    state = IncrementalCursor(stored, run_started, config.index_lag, floor=floor_minute)
    client.server_time = None
    since = stored
    marked = False  # a page carried a cursor (with the zone)
    for attempt in range(RESEARCHES + 1):
        try:
            jql = incremental_jql(config, since, zone)
            fields = search_fields(config, client.epic_link)
            for issues in client.search(jql, fields, max_pages=max_pages):
                state.queried_at(client.server_time)
                for issue in issues:
                    state.observe(_updated(issue))
                value = state.page_value()
                marked = marked or value is not None
                yield Page(issues, write_cursor(value, tags) if value is not None else None)
            break
        except ResultsShifted as exc:
            # Data Center's offsets moved under us before anything past them was handed on: search again
            # from the newest update read (everything not yet read is at least that recent).
            if attempt == RESEARCHES:
                raise RetriableError(f"Jira search kept moving under our pages: {exc}") from None
            log.info("Jira search moved under our pages (%s); searching again from the cursor", exc)
            since = min(state.newest, state.run_started) if state.newest is not None else stored
    settled = state.settled()
    if settled is not None:
        yield Page([], write_cursor(settled, tags))
    elif stored is not None and not marked and tags != known:
        yield Page([], write_cursor(stored, tags))  # a cursor from before a tag: keep what was learned


def _updated(issue: Any) -> datetime | None:
    """An issue's ``updated``; None for a malformed one (normalize quarantines it, the cursor ignores it)."""
    try:
        return parse_utc(jira_time(issue["fields"]["updated"]))
    except (KeyError, TypeError, ValueError):
        return None
