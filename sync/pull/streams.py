"""Pull: every stream of a connection, page by page, each page stored whole with its cursor in one
transaction (a few pages to a transaction, see :class:`sync.store.base.PageBatch`)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import MALFORMED, Connector, Page
from connectors.errors import ConnectorError, FatalError, SkippableError, truncate
from connectors.http import too_deep
from sync.events import emit, since
from sync.model import Records, storable, utc_iso
from sync.pull.absence import WholeRead, whole_read
from sync.pull.readahead import read_ahead
from sync.store import PageStats, Store, jsontext
from sync.store.base import PageBatch

log = logging.getLogger(__name__)
MAX_RECORD_CHARS = 16 * 1024 * 1024  # one record's JSON; bigger ones are quarantined, not stored


@dataclass
class StreamReport:
    connection: str
    stream: str
    pages: int = 0
    payloads: int = 0
    changed: int = 0
    echoes: int = 0
    unchanged: int = 0
    quarantined: int = 0
    requests: int = 0
    error: str | None = None
    fatal: bool = False  # the error stops the connection's remaining streams (auth, config)
    stopped: bool = False  # a stop was asked for (daemon shutdown): ended after a committed page
    whole: bool = False  # read from no cursor (sync/pull/absence.py)
    gone: list[str] = field(default_factory=list)  # items a completed whole read no longer listed


@dataclass
class PullReport:
    streams: list[StreamReport] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(s.changed for s in self.streams)

    @property
    def failed(self) -> list[StreamReport]:
        return [s for s in self.streams if s.error]

    def as_dict(self) -> list[dict[str, Any]]:
        return [vars(s) for s in self.streams]


def normalize_page(
    connector: Connector, stream: str, payloads: Iterable[dict[str, Any]]
) -> tuple[Records, list[tuple[str, str]], list[tuple[dict[str, Any], str]]]:
    """Normalise one page; a payload that fails is quarantined with its reason and the rest go on.
    Raw payloads come back as JSON text (what the store keeps)."""
    records = Records()
    raw: list[tuple[str, str]] = []
    quarantined: list[tuple[dict[str, Any], str]] = []
    for payload in payloads:
        try:
            result = connector.normalize(stream, payload)
        except SkippableError as exc:
            quarantined.append((_keepable(payload), storable(str(exc))))
            continue
        except MALFORMED as exc:  # a normaliser outside the contract: quarantined all the same
            reason = f"malformed {stream} payload: {type(exc).__name__}: {exc}"
            quarantined.append((_keepable(payload), storable(reason)))
            continue
        try:
            text = jsontext.unicode_text(payload)
        except RecursionError:
            quarantined.append((_summary(payload), f"{stream} payload nested deeper than the store keeps"))
            continue
        if text is not None and (too_deep(text) or len(text) > MAX_RECORD_CHARS):
            quarantined.append((_summary(payload), storable(_too_big(stream, text))))
            continue
        if text is None:  # a lone surrogate from a JSON escape somewhere in the payload
            text = json.dumps(payload)  # kept escaped in the raw copy
            result = storable(result)  # and U+FFFD in the records
        # A payload of valid text normalises to records of valid text (normalize is pure), so only a
        # payload that fails the check above is walked.
        records.extend(result)
        if result.items:
            raw.append((result.items[0].uid, text))
    return records, raw, quarantined


def _keepable(payload: dict[str, Any]) -> dict[str, Any]:
    """A quarantined payload as the store can keep it: whole, or its summary when it is past the bounds."""
    try:
        text = jsontext.unicode_text(payload)
    except RecursionError:
        return _summary(payload)
    return payload if text is None or len(text) <= MAX_RECORD_CHARS else _summary(payload)


def _summary(payload: dict[str, Any]) -> dict[str, Any]:
    """What a quarantined record past the bounds keeps: its top-level scalars (id, key, dates)."""
    return {k: v for k, v in payload.items() if not isinstance(v, dict | list)}


def _too_big(stream: str, text: str) -> str:
    if len(text) > MAX_RECORD_CHARS:
        return f"{stream} payload larger than {MAX_RECORD_CHARS} characters"
    return f"{stream} payload nested deeper than the parser's bound"


def store_page(
    store: Store,
    batch: PageBatch,
    connector: Connector,
    stream: str,
    page: Page,
    whole: WholeRead | None = None,
) -> tuple[PageStats, list[tuple[dict[str, Any], str]]]:
    """Normalise one page and store it whole with its cursor in ``batch``; its stats and what was
    quarantined. Part of a whole read (``whole``): what the page lists is noted, and a re-read's cursor
    is held back until the read completes."""
    if whole is not None:
        page = whole.page(page)
    records, raw, quarantined = normalize_page(connector, stream, page.payloads)
    if whole is not None:
        whole.listed.update(item.uid for item in records.items)
        whole.unread += len(quarantined)
    batch.add(len(page.payloads))
    stats = store.write_page(connector.name, stream, records, raw, page.cursor, quarantined)
    batch.written()
    return stats, quarantined


def pull_stream(
    store: Store,
    connector: Connector,
    stream: str,
    run_started: datetime,
    stop: threading.Event | None = None,
    full: bool = False,
) -> StreamReport:
    """Pull one stream page by page, each page stored whole with its cursor; when ``stop`` is set, end
    after the page just written (and commit it). A read from no cursor (the first, a periodic one, or
    ``full``) that completes marks the items it no longer lists deleted (:mod:`sync.pull.absence`)."""
    report = StreamReport(connector.name, stream)
    before = connector.request_count()
    started = time.monotonic()
    try:
        cursor = store.cursor(connector.name, stream)
        whole = whole_read(store, connector, stream, cursor, full, utc_iso(run_started))
        report.whole = whole is not None
        if whole is not None:
            cursor = None
        # An early stop ends the read-ahead before the report is made; pages are committed several at a
        # time, whatever ends the loop (sync/store/base.py, PageBatch), and whenever the next page is
        # slow to come (the write lock is not held across a wait on the tracker).
        fetched = connector.pull(stream, cursor, run_started)
        with (
            store.page_batch() as batch,
            closing(read_ahead(fetched, f"pull {connector.name} {stream}", waiting=batch.commit)) as pages,
        ):
            for page in pages:
                page_started = time.monotonic()
                stats, quarantined = store_page(store, batch, connector, stream, page, whole)
                report.pages += 1
                report.payloads += len(page.payloads)
                report.changed += stats.changed
                report.echoes += stats.echoes
                report.unchanged += stats.unchanged
                report.quarantined += stats.quarantined
                for _, reason in quarantined:
                    log.warning("%s %s: quarantined a payload: %s", connector.name, stream, reason)
                page_event(report, len(page.payloads), stats, page_started)
                if stop is not None and stop.is_set():
                    report.stopped = True
                    log.info("%s %s: stopping after page %d (shutdown)", connector.name, stream, report.pages)
                    break
        if whole is not None and not report.stopped:
            report.gone = whole.finish(store)
    except ConnectorError as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        report.fatal = isinstance(exc, FatalError)
        log.error("%s %s: pull stopped: %s", connector.name, stream, report.error)
    except Exception as exc:
        report.error = unexpected(connector, exc)
        report.fatal = True  # an answer no connector expects: the connection's other streams would fail alike
        log.error("%s %s: pull stopped: %s", connector.name, stream, report.error)
        log.debug("%s %s: what stopped the pull", connector.name, stream, exc_info=True)
    finally:
        report.requests = connector.request_count() - before
    emit(
        "stream_end",
        f"{connector.name} {stream}: {report.pages} page(s), {report.changed} changed, "
        f"{report.requests} request(s)"
        + (f", {len(report.gone)} gone" if report.gone else "")
        + (f", failed: {report.error}" if report.error else ""),
        connection=connector.name,
        stream=stream,
        pages=report.pages,
        records=report.payloads,
        changed=report.changed,
        unchanged=report.unchanged,
        quarantined=report.quarantined,
        requests=report.requests,
        whole=report.whole,
        gone=len(report.gone),
        error=report.error,
        duration_ms=since(started),
    )
    return report


def page_event(report: StreamReport, records: int, stats: PageStats, started: float) -> None:
    emit(
        "page",
        f"{report.connection} {report.stream}: page {report.pages}, {records} record(s), "
        f"{stats.changed} changed",
        connection=report.connection,
        stream=report.stream,
        page=report.pages,
        records=records,
        changed=stats.changed,
        unchanged=stats.unchanged,
        quarantined=stats.quarantined,
        total_records=report.payloads,
        duration_ms=since(started),
    )


def unexpected(connector: Connector, exc: Exception) -> str:
    """One line for an answer the connector's error tree did not foresee (a server that is not the
    service, or a shape its documentation does not describe); -vv logs the traceback."""
    return (
        f"UnexpectedAnswer: {connector.name}: {connector.config.url} answered in a shape a "
        f"{connector.source} server does not ({type(exc).__name__}: {truncate(str(exc), 120)}); "
        f"check [connections.{connector.name}] url"
    )


def pull_connection(
    store: Store,
    connector: Connector,
    run_started: datetime,
    stop: threading.Event | None = None,
    full: bool = False,
) -> list[StreamReport]:
    """Pull every stream (``full``: the item streams read whole); a fatal error (auth, config, an
    unexpected answer) stops this connection's remaining streams, and so does ``stop`` (set by the daemon
    on shutdown)."""
    reports = []
    for stream in connector.streams():
        report = pull_stream(store, connector, stream, run_started, stop, full)
        reports.append(report)
        if report.fatal:
            break
        if report.stopped:
            break
    return reports
