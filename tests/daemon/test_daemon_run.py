"""The daemon against the sandbox: as a subprocess (cycles, an edit ranked and pushed, health, metrics, the
store lock, no secret anywhere, SIGTERM), and in-process (one failing connection never stops the others)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from connectors.registry import service_types
from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.registry import available
from sync.config import load
from sync.daemon.lock import StoreLock, current_holder, lock_path
from sync.daemon.scheduler import Daemon
from sync.store import Store
from tests.postgres import store_table

ROOT = Path(__file__).resolve().parents[2]
ORDERED = service_types(ranks=True)
RULES: dict[str, Any] = {
    "scoring": {"framework": "rice"},
    "status": {"rules": [{"name": "daemon close", "when": "'rb-close' in labels", "set_category": "done"}]},
}


def write_config(
    box: Sandbox, tmp_path: Path, interval: int = 1, store: str | None = None, **overrides: dict[str, Any]
) -> Path:
    data = box.config(tmp_path / "store.db") | RULES | {"daemon": {"port": 0, "jitter": 0.2}}
    if store is not None:
        data["store"] = store_table(store)
    for name, table in data["connections"].items():
        table.update({"interval": interval, "staleness": 30}, **overrides.get(name, {}))
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = Sandbox.start(available(), items=12, seed=5)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield sandbox
    sandbox.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def cycles(metrics: str) -> dict[str, float]:
    prefix = 'rankbridge_connection_cycles_total{connection="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(prefix)
    }


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Running:
    """``python -m cli daemon`` in a subprocess; stderr (the logs) collected by a thread."""

    def __init__(self, config: Path, *args: str) -> None:
        command = [
            sys.executable,
            "-m",
            "cli",
            "--config",
            str(config),
            "--log-format",
            "json",
            "daemon",
            *args,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.logs: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert self.process.stdout is not None
        first = json.loads(self.process.stdout.readline())["message"]  # --log-format json: stdout too
        assert "health and metrics on http://127.0.0.1:" in first, (first, self.logs)
        self.url = first.strip().rsplit(" ", 1)[1]

    def _read(self) -> None:
        assert self.process.stderr is not None
        self.logs.extend(self.process.stderr)

    def metrics(self) -> str:
        status, text = get(self.url + "/metrics")
        assert status == 200
        return text

    def stop(self) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        self.reader.join(timeout=5)
        return code, time.monotonic() - started


def test_daemon_cycles_pushes_an_edit_serves_health_and_stops_on_sigterm(
    box: Sandbox, tmp_path: Path
) -> None:
    config = write_config(box, tmp_path)
    daemon = Running(config)
    try:
        wait_for("two cycles of every connection", lambda: min(cycles(daemon.metrics()).values()) >= 2)
        assert set(cycles(daemon.metrics())) == set(box.served)
        wait_for("healthy", lambda: get(daemon.url + "/healthz")[0] == 200)
        health = json.loads(get(daemon.url + "/healthz")[1])
        assert health["status"] == "ok" and set(health["connections"]) == set(box.served)

        # A writing command while the daemon runs is refused, naming the daemon's pid.
        manual = subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(config), "sync"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert manual.returncode == 4, manual.stderr
        assert f"pid {daemon.process.pid}" in manual.stderr

        # A person labels an issue; the next cycle pulls it, the status rule fires, the op is pushed.
        service = next(s for s in ORDERED if s in box.served)
        target = next(
            i
            for i in box.state(service)["items"]
            if i["status_category"] not in ("done", "canceled") and not i.get("deleted")
        )
        box.reset(service)
        box.edit(service, {"key": target["key"], "set": {"labels": [*target.get("labels", []), "rb-close"]}})

        def pushed() -> bool:
            states = {i["key"]: i["status_category"] for i in box.state(service)["items"]}
            return states[target["key"]] == "done" and any(r["mutating"] for r in box.requests(service))

        wait_for(f"the edit of {target['key']} ranked and pushed to {service}", pushed)
        metrics = daemon.metrics()
        assert f'rankbridge_ops_applied_total{{connection="{service}"}}' in metrics
        health_text = get(daemon.url + "/healthz")[1]

        # Stop while requests are in flight: the page/op in flight finishes, the process exits 0 quickly.
        for name in box.served:
            box.faults(name, {"latency": 0.3})
        time.sleep(0.5)
        code, took = daemon.stop()
    finally:
        if daemon.process.poll() is None:
            daemon.process.kill()
    assert code == 0, daemon.logs[-20:]
    assert took < 10, took
    assert (
        current_holder(tmp_path / "store.db") is None and lock_path(tmp_path / "store.db").read_text() == ""
    )
    with StoreLock(tmp_path / "store.db", "test") as lock:
        assert lock.stale is None  # released on exit, not left behind

    records = [json.loads(line) for line in daemon.logs]  # --log-format json: every line is JSON
    messages = [r["message"] for r in records]
    assert any("cycle done" in m for m in messages) and any("pushed:" in m for m in messages)
    assert any("daemon stopped" in m for m in messages)
    assert not [m for m in messages if "OperationalError" in m]  # store work is serialised in the process
    for text in ("".join(daemon.logs), metrics, health_text):
        assert box.token not in text


def test_restart_resumes_from_the_cursors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_location: str
) -> None:
    """Over both store backends."""
    box = Sandbox.start([next(s for s in ORDERED if s in available())], items=12, seed=5)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    try:
        check_restart(box, tmp_path, store_location)
    finally:
        box.stop()


def check_restart(box: Sandbox, tmp_path: Path, location: str) -> None:
    config = write_config(box, tmp_path, interval=60, store=location)
    once = [sys.executable, "-m", "cli", "--config", str(config), "daemon", "--once"]
    for _ in range(3):  # later cycles read back our own writes of the first
        run = subprocess.run(once, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert "cycle done" in run.stderr, run.stderr
    store = Store(location)
    cursors = Counter(c["connection"] for c in store.cursors())
    store.close()
    assert set(cursors) == set(box.served)
    daemon = Running(config)
    try:
        wait_for("one cycle each", lambda: min(cycles(daemon.metrics()).values()) >= 1)
        metrics = daemon.metrics()
        health = get(daemon.url + "/healthz")
    finally:
        code, _ = daemon.stop()
    assert code == 0 and health[0] == 200
    for service in box.served:  # one incremental request per stream from its stored cursor, nothing new
        assert sample(metrics, "rankbridge_requests_total", service) == cursors[service], metrics
        assert sample(metrics, "rankbridge_items_changed_total", service) == 0, metrics


def sample(metrics: str, family: str, connection: str) -> float:
    prefix = f'{family}{{connection="{connection}"}} '
    return float(next(line for line in metrics.splitlines() if line.startswith(prefix))[len(prefix) :])


def test_one_failing_connection_never_stops_the_others(box: Sandbox, tmp_path: Path) -> None:
    broken = next(iter(box.served))
    box.faults(broken, {"error_rate": 1.0})
    config = load(
        write_config(
            box, tmp_path, **{broken: {"policy": {"attempts": 2, "base_wait": 0.01, "max_wait": 0.05}}}
        )
    )
    daemon = Daemon(config)
    assert daemon.run_once() == 1
    _, health = daemon.metrics.health()
    assert health["connections"][broken]["consecutive_failures"] == 1
    assert not health["connections"][broken]["ok"]
    others = [name for name in box.served if name != broken]
    for name in others:
        assert health["connections"][name]["ok"], health
    store = Store(tmp_path / "store.db")
    try:
        assert {i.connection for i in store.items()} >= set(others)
    finally:
        store.close()
