"""Secrets contained: ``${VAR}`` expands only where settings and secrets live (never in rule text or note
templates); the store, its lock and their folders are private (0600/0700); the lock holds on the store's real
path, through a symlink and after its lock file was removed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from sync.config import load
from sync.daemon.lock import LockHeld, StoreLock
from sync.store import Store

ROOT = Path(__file__).resolve().parents[2]


def config_with_note(tmp_path: Path) -> Path:
    data = {
        "store": {"path": str(tmp_path / "private" / "store.db")},
        "connections": {
            "zendesk": {
                "type": "zendesk",
                "url": "http://127.0.0.1:9",
                "email": "bot@example.com",
                "token": "${RB_TEST_ZENDESK}",
            }
        },
        "status": {
            "rules": [
                {
                    "name": "leaky note",
                    "when": "kind == 'feedback' and '${RB_TEST_JIRA}' != ''",
                    "comment": "Shipped {linked_keys} ${RB_TEST_JIRA}",
                }
            ]
        },
    }
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_variables_expand_in_connections_never_in_rules_or_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RB_TEST_ZENDESK", "zendesk-secret")
    monkeypatch.setenv("RB_TEST_JIRA", "jira-secret")
    config = load(config_with_note(tmp_path))
    zendesk = config.connections["zendesk"]
    assert zendesk.model_dump(mode="python")["token"].get_secret_value() == "zendesk-secret"
    rule = config.status.rules[0]
    assert rule.comment == "Shipped {linked_keys} ${RB_TEST_JIRA}"
    assert "jira-secret" not in rule.when and "jira-secret" not in repr(config.status)


def test_store_lock_and_folders_are_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "store.db"
    Store(path).close()
    with StoreLock(path, "test") as lock:
        lock_file = lock.path
    for file in (path, lock_file):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    for folder in (tmp_path / "deep", tmp_path / "deep" / "folder"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    wal = Path(f"{path}-wal")
    if wal.exists():
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def holder_process(store: Path) -> subprocess.Popen[str]:
    """Another process holding the store's lock until its stdin closes."""
    code = (
        "import sys; from sync.daemon.lock import StoreLock\n"
        f"lock = StoreLock({str(store)!r}, 'holder').acquire(); print('held', flush=True); sys.stdin.read()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_the_lock_holds_through_a_symlink_and_a_removed_lock_file(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    Store(store).close()
    link = tmp_path / "alias.db"
    os.symlink(store, link)
    holder = holder_process(store)
    try:
        with pytest.raises(LockHeld):
            StoreLock(link, "second").acquire()  # the same store by another name
        StoreLock(store, "probe").path.unlink()  # someone removes the lock file
        with pytest.raises(LockHeld):
            StoreLock(store, "third").acquire()  # the store file itself is still locked
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    with StoreLock(link, "after") as lock:
        assert lock.held
