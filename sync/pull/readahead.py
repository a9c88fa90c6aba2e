"""Read-ahead: fetch the next page of a stream while the current one is normalised and stored.

A pull is a loop of *fetch a page* (waiting on the tracker) and *store it* (our CPU and SQLite); done in
turn, their times add up. :func:`read_ahead` runs the connector's page generator in one worker thread, at
most one page ahead, so the wait for page N+1 overlaps the work on page N and a pull takes about as long as
the slower of the two.

What stays the same: pages reach the caller in order, each with the cursor the connector gave it, and the
caller still commits each page with its cursor in one transaction, so cursor semantics are untouched (a page
fetched ahead is not committed until the caller takes it; when the caller stops early it is dropped, like a
page in flight at a crash). An exception the generator raises reaches the caller after the pages before it.
Only the worker advances the generator, so the connector's client is used by one thread at a time; when
the caller stops, the worker is told to stop, the generator is closed in the worker, and the caller waits
for it, so no request of this stream is still running when ``read_ahead`` returns.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
_POLL = 0.05  # seconds between checks for a caller that stopped
SLOW_PAGE = 1.0  # seconds the caller waits for the next page before ``waiting`` is called


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(
    pages: Iterator[T], name: str = "read-ahead", waiting: Callable[[], None] | None = None
) -> Generator[T, None, None]:
    """Yield what ``pages`` yields, fetching one item ahead in a worker thread. ``waiting`` is called when
    the next item is not there within :data:`SLOW_PAGE` seconds (the pull commits its open page batch
    then, so a slow tracker never keeps the store's write lock from the other connections)."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=1)
    halt = threading.Event()

    def offer(thing: object) -> bool:
        while not halt.is_set():
            try:
                handoff.put(thing, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for page in pages:
                if not offer(page):
                    return
            offer(_END)
        except BaseException as exc:  # handed to the caller, who raises it in its own thread
            offer(_Failed(exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            thing = _next(handoff, waiting)
            if thing is _END:
                return
            if isinstance(thing, _Failed):
                raise thing.error
            yield thing  # type: ignore[misc]
    finally:
        halt.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=_POLL)
        worker.join()


def _next(handoff: queue.Queue[object], waiting: Callable[[], None] | None) -> object:
    if waiting is None:
        return handoff.get()
    try:
        return handoff.get(timeout=SLOW_PAGE)
    except queue.Empty:
        waiting()
        return handoff.get()
