"""Read-ahead of pages: order, errors after the pages before them, one page ahead at most, clean stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sync.pull.readahead import read_ahead


def test_pages_arrive_in_order_and_the_error_after_them() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("page 3 failed")

    got: list[int] = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for page in read_ahead(pages()):
            got.append(page)
    assert got == [1, 2]


def test_fetches_at_most_one_page_ahead_and_stops_cleanly() -> None:
    fetched: list[int] = []
    closed = threading.Event()
    threads: set[str] = set()

    def pages() -> Iterator[int]:
        try:
            for n in range(100):
                threads.add(threading.current_thread().name)
                fetched.append(n)
                yield n
        finally:
            closed.set()

    reader = read_ahead(pages(), "test-reader")
    assert next(reader) == 0
    assert next(reader) == 1
    reader.close()  # the caller stops (a daemon shutdown): the worker ends, the generator is closed
    assert closed.is_set()
    assert len(fetched) <= 4  # the two taken, one handed over, one in the worker's hand
    assert threads == {"test-reader"}  # only the worker advanced the generator
    assert not [t for t in threading.enumerate() if t.name == "test-reader"]


def test_an_empty_stream_ends_at_once() -> None:
    assert list(read_ahead(iter([]))) == []
