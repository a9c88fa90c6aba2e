"""The store lock: one writer per store, waits when asked to, names its holder, detects a crashed holder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sync.config import load
from sync.daemon.advisory import AdvisoryStoreLock, writer_lock
from sync.daemon.advisory import current_holder as advisory_holder
from sync.daemon.lock import LockHeld, StoreLock, current_holder, lock_path
from tests.postgres import store_table


def test_second_holder_is_refused_with_the_pid_holding_it(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    with StoreLock(store, "daemon"):
        with pytest.raises(LockHeld) as refused:
            StoreLock(store, "sync").acquire()
        assert f"pid {os.getpid()}" in str(refused.value)
        assert "daemon" in str(refused.value)
        holder = current_holder(store)
        assert holder is not None and holder.pid == os.getpid()
    assert current_holder(store) is None
    assert lock_path(store).read_text() == ""  # released: emptied, kept in place


def test_a_waiting_holder_gets_the_lock_once_released(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    first = StoreLock(store, "daemon").acquire()
    threading.Timer(0.3, first.release).start()
    started = time.monotonic()
    with StoreLock(store, "sync", wait=5, poll=0.02) as second:
        assert second.held
        assert 0.2 < time.monotonic() - started < 3
    with pytest.raises(LockHeld, match=r"after waiting 0\.2s"), StoreLock(store, "daemon"):
        StoreLock(store, "sync", wait=0.2, poll=0.02).acquire()


def test_a_lock_left_by_a_killed_process_is_detected_as_stale(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    code = (
        "import os, signal, sys; from sync.daemon.lock import StoreLock; "
        f"StoreLock({str(store)!r}, 'daemon').acquire(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    root = Path(__file__).resolve().parents[2]
    crashed = subprocess.run([sys.executable, "-c", code], cwd=root, check=False)
    assert crashed.returncode == -9
    assert '"daemon"' in lock_path(store).read_text()  # the trace of the crashed holder
    assert current_holder(store) is None  # ... but the kernel released its flock
    with StoreLock(store, "sync") as lock:
        assert lock.stale is not None and lock.stale.command == "daemon"
        assert lock.stale.pid not in (0, os.getpid())


def test_a_writing_command_fails_with_exit_4_while_the_store_is_held(
    tmp_path: Path, store_location: str
) -> None:
    """Over both backends: a file lock beside an SQLite store, an advisory lock in a PostgreSQL one."""
    config = tmp_path / "rankbridge.toml"
    config.write_text(tomli_w.dumps({"store": store_table(store_location)}))
    runner = CliRunner()
    held = writer_lock(load(config).store, "daemon")
    with held:
        refused = runner.invoke(main, ["--config", str(config), "pull"])
        waited = runner.invoke(main, ["--config", str(config), "plan", "--wait", "0.2"])
        reading = runner.invoke(main, ["--config", str(config), "status", "--json"])
    assert refused.exit_code == 4, refused.output
    assert f"pid {os.getpid()}" in refused.output and "--wait" in refused.output
    assert waited.exit_code == 4 and "after waiting 0.2s" in waited.output
    assert reading.exit_code == 0, reading.output  # reading commands do not take the lock
    assert f"pid {os.getpid()}" in reading.output
    assert runner.invoke(main, ["--config", str(config), "pull"]).exit_code == 0


def test_a_postgres_writer_lock_dies_with_its_holder(postgres_url: str) -> None:
    """No stale lock to detect in PostgreSQL: a killed holder's session ends, and its lock with it."""
    code = (
        "import os, signal; from sync.daemon.advisory import AdvisoryStoreLock; "
        f"AdvisoryStoreLock({postgres_url!r}, 'daemon').acquire(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == -9
    with AdvisoryStoreLock(postgres_url, "sync", wait=10, poll=0.05) as lock:
        assert lock.held and lock.stale is None
        holder = advisory_holder(postgres_url)
        assert holder is not None and holder.pid == os.getpid() and holder.command.startswith("sync on ")
