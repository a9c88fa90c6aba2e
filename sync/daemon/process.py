"""The daemon process's own concerns: its logging, its signals, and leaving at once after the grace time."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

log = logging.getLogger(__name__)


def daemon_logging() -> None:
    """A daemon logs one line per cycle: INFO at least (-vv still gives DEBUG); APScheduler's own chatter
    (job added, job executed) only from -vv on."""
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))


def exit_now(code: int) -> NoReturn:
    """Leave without joining worker threads still inside a request (after the grace time): the page in
    flight is rolled back by SQLite, and a sent op is verified against the tracker on the next push."""
    logging.shutdown()
    os._exit(code)


@contextmanager
def handle_signals(stop: threading.Event, hangup: Callable[[], None] | None = None) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop``, SIGHUP calls ``hangup`` (a config reload) when given (only possible
    from the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        if signum == signal.SIGHUP and hangup is not None:
            hangup()
        else:
            stop.set()

    handled = (signal.SIGTERM, signal.SIGINT, *((signal.SIGHUP,) if hangup is not None else ()))
    previous = {sig: signal.signal(sig, on_signal) for sig in handled}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
