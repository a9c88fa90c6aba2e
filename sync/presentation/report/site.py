"""Write the report site into a directory: ``index.html`` (and ``ranking-N.html``), ``changes.html``,
``roadmap.html``, ``items/<connection>/<key>.html`` per ranked item and per item that left the ranking
within the history window (leftpage.py), and ``assets/`` (one stylesheet, one
script). Nothing is fetched from elsewhere.

Each file is written to a temporary name and renamed over the old one, so a reader (the daemon serving the
directory, a browser) always sees a whole page of either the previous or the new report. Item pages of
items past that window are removed afterwards, only in a directory this module made (it holds
:data:`MARKER`), so pointing ``--out`` at the wrong directory never deletes anything else."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sync.config import Config
from sync.errors import UsageError
from sync.model import report_page
from sync.presentation.report import data
from sync.presentation.report.changes import changes_page
from sync.presentation.report.html import SCRIPT, STYLESHEET
from sync.presentation.report.itempage import item_page
from sync.presentation.report.leftpage import left_page, left_the_ranking
from sync.presentation.report.ranking import ranking_pages
from sync.presentation.report.roadmap import roadmap_page
from sync.store import Store

MARKER = ".rankbridge-report"
WRITERS = 4
QUEUED = 256


@dataclass(frozen=True)
class Written:
    path: Path
    pages: int
    items: int
    removed: int


class NotAReportDirectory(UsageError):
    """``--out`` names a non-empty directory that no earlier report wrote."""

    label = "refusing: "


def write_site(store: Store, out: Path) -> Written:
    out = Path(out)
    _claim(out)
    site = data.load(store)
    # The stylesheet and script go first, before any writer thread starts: a page that is on disk can
    # always load them (the daemon serves the folder while it is being rewritten).
    for asset, text in (("report.css", STYLESHEET), ("report.js", SCRIPT)):
        (out / "assets").mkdir(exist_ok=True)
        _write(out / "assets" / asset, text)
    with Files() as files:
        pages = 0
        for name, html in ranking_pages(site):
            files.write(out / name, html)
            pages += 1
        files.write(out / "changes.html", changes_page(site))
        files.write(out / "roadmap.html", roadmap_page(site))
        wanted: set[Path] = set()
        for row in site.rows:
            path = out / row.page
            files.write(path, item_page(site, row))
            wanted.add(path)
        for item in left_the_ranking(site):
            path = out / report_page(item.connection, item.key)
            files.write(path, left_page(site, item))
            wanted.add(path)
    removed = _remove_stale(out, wanted, pages)
    return Written(out, pages + 2 + len(wanted), len(wanted), removed)


class Files:
    """Writes pages on a few threads while the next pages are rendered (a file system under load makes
    each create wait on its journal; the waits overlap instead of adding up). A page whose file already
    holds the same text is left alone, so a report regenerated after a sync rewrites only what changed.
    At most :data:`QUEUED` pages wait in memory; the first error is raised when the block ends."""

    def __init__(self, threads: int = WRITERS) -> None:
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="report-writer")
        self.slots = threading.BoundedSemaphore(QUEUED)
        self.futures: list[Future[None]] = []
        self.made: set[Path] = set()

    def write(self, path: Path, text: str) -> None:
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        self.slots.acquire()
        future = self.pool.submit(_write, path, text)
        future.add_done_callback(lambda _: self.slots.release())
        self.futures.append(future)

    def __enter__(self) -> Files:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)
        for future in self.futures:
            future.result()


def publisher(config: Config) -> Callable[[Store], Written] | None:
    """What the daemon calls after each rank/plan/push: write the report into ``[report] dir`` (None
    when it is not set)."""
    if not config.report.dir:
        return None
    folder = Path(config.report.dir)
    return lambda store: write_site(store, folder)


def _claim(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise NotAReportDirectory(
            f"{out} is not empty and holds no earlier report: choose an empty or new directory"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `rankbridge report`; files here are replaced on each run\n")


def _write(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _remove_stale(out: Path, wanted: set[Path], ranking_pages_written: int) -> int:
    removed = 0
    for path in (out / "items").glob("*/*.html"):
        if path not in wanted:
            path.unlink()
            removed += 1
    for path in out.glob("ranking-*.html"):
        number = path.stem.removeprefix("ranking-")
        if not number.isdigit() or int(number) > ranking_pages_written:
            path.unlink()
            removed += 1
    return removed
