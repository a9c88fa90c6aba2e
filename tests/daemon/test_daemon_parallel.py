"""One slow tracker never delays the others: the daemon (a subprocess) on the sandbox with one emulator
trickling its answers a few bytes a second keeps pulling the other connections, cycle after cycle, while
the slow pull is in flight, and ``/healthz`` names the slow connection (503, the others ok)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.registry import available
from tests.daemon.test_daemon_run import Running, cycles, get, wait_for, write_config

STALENESS = 3  # seconds the slow connection may go without a good pull before /healthz says so


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = Sandbox.start(available(), items=12, seed=7)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield sandbox
    sandbox.stop()


def health(url: str) -> tuple[int, dict[str, Any]]:
    status, text = get(url + "/healthz")
    return status, json.loads(text)


def test_a_trickling_tracker_never_delays_the_other_connections(box: Sandbox, tmp_path: Path) -> None:
    # Jira: its searches are POSTed and answered in full (a GitHub read of an unchanged list is a 304
    # without a body, which a trickle does not slow).
    slow = "jira"
    others = sorted(set(box.served) - {slow})
    # A long request deadline: the slow pull stays in flight for the whole test.
    overrides = {slow: {"staleness": STALENESS, "policy": {"deadline": 60}}}
    daemon = Running(write_config(box, tmp_path, **overrides))
    try:
        wait_for("a first cycle of every connection", lambda: min(cycles(daemon.metrics()).values()) >= 1)
        box.faults(slow, {"trickle": 20})  # bytes a second: one page takes minutes
        wait_for(
            f"{slow}'s pull to be in flight",
            lambda: health(daemon.url)[1]["connections"][slow]["in_progress_since"] is not None,
        )
        in_flight_since = health(daemon.url)[1]["connections"][slow]["in_progress_since"]
        before = cycles(daemon.metrics())
        wait_for(
            "three more cycles of every other connection",
            lambda: all(cycles(daemon.metrics())[n] >= before[n] + 3 for n in others),
        )
        after = cycles(daemon.metrics())
        assert after[slow] == before[slow], "the slow pull ended: the test proves nothing"
        wait_for(f"{slow} to go stale", lambda: health(daemon.url)[0] == 503, timeout=STALENESS + 5)
        status, body = health(daemon.url)
    finally:
        daemon.process.kill()  # the slow pull would hold a clean stop for the whole grace time
        daemon.process.wait(timeout=10)
    assert status == 503 and body["status"] == "unhealthy"
    row = body["connections"][slow]
    assert row["state"] == "stale" and row["in_progress_since"] == in_flight_since, row
    assert row["in_progress_seconds"] > 0 and row["last_success"] is not None
    assert body["reasons"] and all(reason.startswith(f"{slow}:") for reason in body["reasons"]), body
    for name in others:
        assert body["connections"][name]["state"] in {"ok", "in_progress"}, body["connections"][name]
        assert body["connections"][name]["ok"]
