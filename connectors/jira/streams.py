"""Reading issues incrementally by ``updated`` (cursor semantics as in :mod:`connectors.base`).

The JQL is ``(<configured jql>) AND updated >= "<yyyy-MM-dd HH:mm>" ORDER BY updated ASC``. JQL compares
dates to the minute, as wall-clock time in the API user's profile zone, so the start is the cursor written
in that zone and floored to its minute: a closed start whose overlap (issues of that minute read again)
the store de-duplicates by uid. Each page carries the largest ``updated`` seen so far, capped at the run's
start, as its cursor; with ascending order every later issue is at least that recent, so committing it
with the page is safe, and an issue edited while we page is newer than the run's start and is read again
next run.

**Leaving the boundary minute.** With the cursor at the newest ``updated`` alone, every later pull reads
that whole minute again, and keeps doing so until something newer changes: after a push that touched 750
issues within one minute, each no-op pull pays 8 pages for them. So when a read completes, the cursor may
move further, to ``floor_minute(D - index_lag)``, where ``D`` is the ``Date`` of the search's first
response (Jira's clock, not ours, so clock skew does not matter; whole seconds, so never later than the
true time) and ``index_lag`` (default 60 s) bounds how long an edit may take to become visible to search.
It does so only if that is later than the newest ``updated`` read, and only if no issue read was updated
within ``index_lag`` before ``D``. Why no update is lost:

1. Every version of an issue with ``updated < D - index_lag`` was visible to our search (the lag bound),
   and our read started at the old cursor's minute, ran in ascending order and reached ``isLast``, so we
   read it, or a newer version of that issue; a newer version we did not read has ``updated >= D -
   index_lag`` (it was invisible, or made after our query) and the new cursor's minute is not later than
   that, so the next pull's ``updated >= "<minute>"`` reads it.
2. Every issue read was updated before ``D - index_lag``, so nothing visible changed while we paged:
   no issue moved in the ordering under our pages (which an offset-paged search could skip past).
3. ``floor_minute(D - index_lag) <= D``: the cursor never passes the moment of the read; it is committed
   in an empty page of its own after the last page, so a read stopped early never commits it.

The result: once the last change is more than ``index_lag`` plus one minute old, a pull with nothing new
is one request, whatever the last minute held. A later edit is always ``>= D - index_lag`` and is read.

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
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import Page
from connectors.errors import FatalError, RetriableError
from connectors.jira.client import JiraClient, ResultsShifted
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import jira_time, search_fields

log = logging.getLogger(__name__)

STREAMS = ["issues"]
RESEARCHES = 5  # searches again after Data Center's offsets moved, before the pull is retried later


def incremental_jql(config: JiraConfig, since: datetime | None, zone: str) -> str:
    """The pull's JQL: everything on a first pull, from the minute of ``since`` in ``zone`` afterwards."""
    where = f"({config.jql})"
    if since is not None:
        local = since.astimezone(ZoneInfo(zone))
        where += f' AND updated >= "{local:%Y-%m-%d %H:%M}"'
    return f"{where} ORDER BY updated ASC"


def read_cursor(cursor: str | None) -> tuple[datetime | None, str | None]:
    """A stored cursor as (moment, the user's zone); the zone is None in a cursor written without one."""
    if not cursor:
        return None, None
    stamp, _, zone = cursor.partition("[")
    return parse_iso(stamp), (zone.rstrip("]") or None)


def write_cursor(moment: datetime, zone: str) -> str:
    return f"{_format(moment)}[{zone}]"


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
    client: JiraClient, config: JiraConfig, cursor: str | None, run_started: datetime
) -> Iterator[Page]:
    """Pages of raw issues with the cursor to commit with each (None: nothing newer than the stored one)."""
    ceiling = run_started if run_started.tzinfo else run_started.replace(tzinfo=UTC)
    stored, zone = read_cursor(cursor)
    if zone is None or (config.timezone is not None and zone != config.timezone):
        zone = user_zone(client, config)
    newest = stored
    read: datetime | None = None  # the newest ``updated`` among the issues this read returned
    client.server_time = None
    queried: datetime | None = None
    since = stored
    marked = False  # a page carried a cursor (with the zone)
    for attempt in range(RESEARCHES + 1):
        try:
            for issues in client.search(incremental_jql(config, since, zone), search_fields(config)):
                if queried is None:
                    queried = client.server_time
                for issue in issues:
                    seen = _updated(issue)
                    if seen is not None and (read is None or seen > read):
                        read = seen
                    if seen is not None and (newest is None or seen > newest):
                        newest = seen
                page = Page(issues, _next_cursor(stored, newest, ceiling, zone))
                marked = marked or page.cursor is not None
                yield page
            break
        except ResultsShifted as exc:
            # Data Center's offsets moved under us before anything past them was handed on: search again
            # from the newest update read (everything not yet read is at least that recent).
            if attempt == RESEARCHES:
                raise RetriableError(f"Jira search kept moving under our pages: {exc}") from None
            log.info("Jira search moved under our pages (%s); searching again from the cursor", exc)
            since = min(newest, ceiling) if newest is not None else stored
    settled = _settled(queried, read, newest, config.index_lag, ceiling)
    if settled is not None:
        yield Page([], write_cursor(settled, zone))
    elif stored is not None and not marked and zone != read_cursor(cursor)[1]:
        yield Page([], write_cursor(stored, zone))  # a cursor from before zones: keep the zone learned


def _settled(
    queried: datetime | None,
    read: datetime | None,
    newest: datetime | None,
    lag: float,
    ceiling: datetime,
) -> datetime | None:
    """The cursor past the boundary minute after a complete read (see the module docstring), or None."""
    if queried is None:
        return None
    quiet_since = queried - timedelta(seconds=lag)
    if read is not None and read >= quiet_since:
        return None  # something changed within the lag: keep the newest-seen cursor
    settled = min(quiet_since.replace(second=0, microsecond=0), ceiling)
    if newest is not None and settled <= newest:
        return None
    return settled


def _next_cursor(
    stored: datetime | None, newest: datetime | None, ceiling: datetime, zone: str
) -> str | None:
    """The newest ``updated`` seen, never past the run's start and never behind the stored cursor."""
    if newest is None:
        return None
    candidate = min(newest, ceiling)
    if stored is not None and candidate <= stored:
        return None
    return write_cursor(candidate, zone)


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _updated(issue: Any) -> datetime | None:
    """An issue's ``updated``; None for a malformed one (normalize quarantines it, the cursor ignores it)."""
    try:
        return parse_iso(jira_time(issue["fields"]["updated"]))
    except (KeyError, TypeError, ValueError):
        return None


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
