"""Reading issues incrementally by ``updated`` (cursor semantics as in :mod:`connectors.base`).

The JQL is ``(<configured jql>) AND updated >= "<yyyy-MM-dd HH:mm>" ORDER BY updated ASC``. JQL compares
dates to the minute, in the API user's time zone (``config.timezone``), so the start is the cursor floored
to its minute: a closed start whose overlap (issues of that minute read again) the store de-duplicates by
uid. Each page carries the largest ``updated`` seen so far, capped at the run's start, as its cursor; with
ascending order every later issue is at least that recent, so committing it with the page is safe, and an
issue edited while we page is newer than the run's start and is read again next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import Page
from connectors.jira.client import JiraClient
from connectors.jira.config import JiraConfig
from connectors.jira.normalize import jira_time, search_fields

STREAMS = ["issues"]


def incremental_jql(config: JiraConfig, cursor: str | None) -> str:
    """The pull's JQL: everything on a first pull, from the cursor's minute on afterwards."""
    where = f"({config.jql})"
    if cursor:
        since = parse_iso(cursor).astimezone(ZoneInfo(config.timezone))
        where += f' AND updated >= "{since:%Y-%m-%d %H:%M}"'
    return f"{where} ORDER BY updated ASC"


def pull_issues(
    client: JiraClient, config: JiraConfig, cursor: str | None, run_started: datetime
) -> Iterator[Page]:
    """Pages of raw issues with the cursor to commit with each (None: nothing newer than the stored one)."""
    ceiling = run_started if run_started.tzinfo else run_started.replace(tzinfo=UTC)
    stored = parse_iso(cursor) if cursor else None
    newest = stored
    for issues in client.search(incremental_jql(config, cursor), search_fields(config)):
        for issue in issues:
            seen = _updated(issue)
            if seen is not None and (newest is None or seen > newest):
                newest = seen
        yield Page(issues, _next_cursor(stored, newest, ceiling))


def _next_cursor(stored: datetime | None, newest: datetime | None, ceiling: datetime) -> str | None:
    """The newest ``updated`` seen, never past the run's start and never behind the stored cursor."""
    if newest is None:
        return None
    candidate = min(newest, ceiling)
    if stored is not None and candidate <= stored:
        return None
    return _format(candidate)


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
