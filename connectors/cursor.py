"""The one incremental cursor every stream that reads by update time uses.

An :class:`IncrementalCursor` holds the stored value (``stored``: the newest update time committed by an
earlier pull), the run's start (``run_started``), the lag in seconds (``lag``: how long an edit may take
to become visible to the tracker's query) and the settle rule (``settle``: whether a complete, quiet read
may move the cursor past the newest update it saw, and ``floor``: the query's granularity, e.g. Jira's
minute). A stream tells it what it reads (:meth:`IncrementalCursor.observe`) and the tracker's clock at
its first answer (:meth:`IncrementalCursor.queried_at`, from the ``Date`` header); it answers the value
to commit with each page (:meth:`IncrementalCursor.page_value`) and, after a complete read, the settled
value (:meth:`IncrementalCursor.settled`).

**Semantics.** The start is closed: a pull from ``c`` reads items updated at ``c`` again, and the store
de-duplicates by uid. The value committed with a page is the newest update seen so far, never past
``run_started`` and never behind ``stored``: with the query ordered by update time ascending, every later
record is at least that recent, so committing it with the page loses nothing, and an item edited while we
page is newer than ``run_started`` and read next run.

**Settling past the boundary.** With the cursor at the newest update alone, every later pull reads again
everything updated at that moment (after a push that touched 750 issues within one minute, each no-op pull
pays for all of them) until something newer changes. So when a read completes, the cursor may move to
``floor(D - lag)``, where ``D`` is the tracker's clock at the read's first answer (its ``Date``; whole
seconds, so never later than the true time; the tracker's clock, so our clock's skew does not matter). It
does so only if that is later than the newest update seen, and only if no record read was updated within
``lag`` before ``D``. Why no update is lost:

1. Every version of a record with ``updated < D - lag`` was visible to our query (the lag bound), and our
   read started at the old cursor, ran in ascending order and was complete, so we read it or a newer
   version; a newer version we did not read has ``updated >= D - lag`` (invisible, or made after the
   query), and ``floor(D - lag)`` is not later than that, so the next pull's closed start reads it.
2. Every record read was updated before ``D - lag``, so nothing visible changed while we paged: nothing
   moved in the order under our pages (which an offset-paged query could skip past).
3. ``floor(D - lag) <= D``, and it is capped at ``run_started``: the cursor never passes the read. The
   settled value is committed with an empty page after the last one, so a read stopped early never
   commits it.

Once the last change is more than ``lag`` (plus one ``floor`` step) old, a pull with nothing new is one
request, whatever the last moment held; a later edit is always ``>= D - lag`` and is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

Floor = Callable[[datetime], datetime]


def exact(moment: datetime) -> datetime:
    return moment


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _aware(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass
class IncrementalCursor:
    """See the module docstring; one per read of one stream."""

    stored: datetime | None
    run_started: datetime
    lag: float = 0.0  # seconds
    settle: bool = True
    floor: Floor = exact
    newest: datetime | None = field(init=False)  # the newest update seen, the stored value included
    read: datetime | None = field(init=False, default=None)  # the newest update among records read
    queried: datetime | None = field(init=False, default=None)  # the tracker's clock at the first answer

    def __post_init__(self) -> None:
        self.stored = _aware(self.stored) if self.stored is not None else None
        self.run_started = _aware(self.run_started)
        self.newest = self.stored

    @property
    def ceiling(self) -> datetime:
        """The run's start: no cursor passes it."""
        return self.run_started

    def observe(self, updated: datetime | None) -> None:
        """One record read, updated at ``updated`` (None: a malformed record, which moves nothing)."""
        if updated is None:
            return
        updated = _aware(updated)
        if self.read is None or updated > self.read:
            self.read = updated
        if self.newest is None or updated > self.newest:
            self.newest = updated

    def queried_at(self, server_time: datetime | None) -> None:
        """The tracker's clock at the read's first answer (later answers do not change it)."""
        if self.queried is None and server_time is not None:
            self.queried = _aware(server_time)

    def page_value(self) -> datetime | None:
        """The value to commit with the page just read: the newest update seen, capped at the run's start;
        None when that is not past the stored value (keep the stored cursor)."""
        if self.newest is None:
            return None
        value = min(self.newest, self.ceiling)
        if self.stored is not None and value <= self.stored:
            return None
        return value

    def settled(self) -> datetime | None:
        """After a complete read, the value past the boundary (module docstring), or None."""
        if not self.settle or self.queried is None:
            return None
        quiet_since = self.queried - timedelta(seconds=self.lag)
        if self.read is not None and self.read >= quiet_since:
            return None  # something changed within the lag: keep the newest-seen cursor
        value = min(self.floor(quiet_since), self.ceiling)
        if self.newest is not None and value <= self.newest:
            return None
        return value
