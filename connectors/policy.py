"""One retry and rate-limit policy for every connector.

* 429, 5xx, timeouts and dropped connections are retried (as :class:`RetriableError`) with exponential
  backoff and full jitter, bounded by ``max_wait`` per wait and ``attempts`` in all.
* ``Retry-After`` is honoured in both of its forms (delta-seconds and HTTP-date); the wait is never shorter
  than what the provider asked for, and a request is never sent before that time.
* Rate-limit headers are read after every response (:meth:`Pacer.observe`): when the remaining budget falls
  under ``slow_below`` of the limit, the next requests are spread over the time left until the reset,
  so that we slow down before a 429 rather than after it.
* Writes can be spaced by ``min_write_interval`` (GitHub asks for one second between mutations).
* A write that got no answer (:class:`Unanswered`: a timeout, a dropped connection) is not sent again here:
  it may have taken effect, and only a re-read can tell (the pusher does that before resending).

Client libraries' own retries and sleeps are switched off by the connectors so that this policy alone holds.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connectors.errors import RetriableError, Unanswered

log = logging.getLogger(__name__)
T = TypeVar("T")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date; None if absent/bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime (whole seconds, so never later than the moment the
    server meant); None if absent or unreadable. Connectors read the provider's clock from it."""
    if not value or not value.strip():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PolicySettings:
    """Bounds of the policy; every connection's config carries one."""

    attempts: int = 6
    base_wait: float = 0.5
    max_wait: float = 60.0
    timeout: float = 30.0
    deadline: float = 120.0
    slow_below: float = 0.1
    min_write_interval: float = 0.0


@dataclass
class RateState:
    """What the last response said about the budget."""

    limit: float | None = None
    remaining: float | None = None
    reset_at: float | None = None  # epoch seconds


@dataclass
class Pacer:
    """Spaces requests so that the provider's budget lasts until its reset, and writes by a minimum gap."""

    settings: PolicySettings
    sleep: Callable[[float], None] = time.sleep
    state: RateState = field(default_factory=RateState)
    not_before: float = 0.0
    last_write: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, limit: float | None, remaining: float | None, reset_at: float | None) -> None:
        with self._lock:
            if limit is not None:
                self.state.limit = limit
            if remaining is not None:
                self.state.remaining = remaining
            if reset_at is not None:
                self.state.reset_at = reset_at

    def hold_until(self, moment: float) -> None:
        """No request may leave before ``moment`` (set from a Retry-After)."""
        with self._lock:
            self.not_before = max(self.not_before, moment)

    def wait_turn(self, write: bool = False) -> None:
        delay = max(0.0, self.not_before - time.time(), self._budget_delay())
        if write and self.settings.min_write_interval > 0:
            delay = max(delay, self.last_write + self.settings.min_write_interval - time.monotonic())
        if delay > 0:
            log.debug("pacing: waiting %.2fs before the next request", delay)
            self.sleep(min(delay, self.settings.max_wait))
        if write:
            self.last_write = time.monotonic()

    def _budget_delay(self) -> float:
        s = self.state
        if s.limit is None or s.remaining is None or s.reset_at is None or s.limit <= 0:
            return 0.0
        if s.remaining > s.limit * self.settings.slow_below:
            return 0.0
        left = s.reset_at - time.time()
        if left <= 0:
            return 0.0
        return left / max(s.remaining, 1.0)


class Policy:
    """Runs one request function under the shared retry rules and pacing."""

    def __init__(self, settings: PolicySettings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        # Set (by the daemon) to end every wait of this policy at once when a stop is asked for.
        self.interrupt: threading.Event | None = None
        self.pacer = Pacer(settings, sleep=self.sleep)
        self.retries = 0

    def sleep(self, seconds: float) -> None:
        """Every wait of this connection (backoff, pacing, a provider's window) goes through here."""
        if self.interrupt is None:
            self._sleep(seconds)
        elif not self.interrupt.is_set():
            self.interrupt.wait(seconds)

    def call(self, fn: Callable[[], T], *, write: bool = False, what: str = "request") -> T:
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: _retriable(exc, write)),
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=lambda state: self._before_sleep(state, what),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                self.pacer.wait_turn(write=write)
                return fn()
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _wait(self, state: RetryCallState) -> float:
        backoff = min(self.settings.max_wait, self.settings.base_wait * 2 ** (state.attempt_number - 1))
        wait = random.uniform(0, backoff)
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, RetriableError) else None
        if asked is not None:
            if asked > self.settings.max_wait:
                # The provider asks for longer than we may block: stop now with its own error.
                raise exc  # type: ignore[misc]
            wait = max(wait, asked)
            self.pacer.hold_until(time.time() + asked)
        return wait

    def _before_sleep(self, state: RetryCallState, what: str) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s failed (%s); retry %d of %d", what, exc, state.attempt_number, self.settings.attempts - 1
        )


def _retriable(exc: BaseException, write: bool) -> bool:
    return isinstance(exc, RetriableError) and not (write and isinstance(exc, Unanswered))


def header_float(headers: Mapping[str, str], *names: str) -> float | None:
    """First of ``names`` present in ``headers`` as a float (case-insensitive mapping expected)."""
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value)
        except ValueError:
            continue
    return None
