"""Readers never wait for writers, paths are relative to the config file, and a command asks only for the
secrets of the connections it contacts."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

import pytest
import tomli_w

from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.daemon.lock import StoreLock
from tests.operator.conftest import ROOT, cli


def relative_config(box: Sandbox, folder: Path, store: str = "data/store.db") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = box.config(store) | {"daemon": {"port": 0, "jitter": 0.1}}
    for table in data["connections"].values():
        table["interval"] = 1
    path = folder / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_rank_from_another_folder_finds_the_store_next_to_the_config(
    box: Sandbox, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = relative_config(box, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    assert cli("sync").exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ranked = json.loads(cli("--config", str(config), "rank", "--json", "--limit", "0").output)
    assert len(ranked["ranking"]) > 10
    status = json.loads(cli("--config", str(config), "status", "--json").output)
    assert status["store"] == str(tmp_path / "project" / "data" / "store.db")
    assert list(elsewhere.iterdir()) == []  # no stray store made in the current folder


def test_readers_work_while_the_store_is_held_and_every_writer_can_wait(
    box: Sandbox, token: str, tmp_path: Path
) -> None:
    config = str(relative_config(box, tmp_path))
    assert cli("--config", config, "sync").exit_code == 0
    key = json.loads(cli("--config", config, "rank", "--json", "--limit", "1").output)["ranking"][0]["key"]
    with StoreLock(tmp_path / "data" / "store.db", "daemon"):
        for args in (
            ["log"],
            ["roadmap"],
            ["explain", key],
            ["status"],
            ["rank", "--no-save", "--json"],
            ["rules", "check"],
        ):
            result = cli("--config", config, *args)
            assert result.exit_code == 0, (args, result.output)
        undo = cli("--config", config, "undo", "1", "--wait", "0.1", "--dry-run")
        assert undo.exit_code == 4 and "after waiting 0.1s" in undo.output


def test_readers_exit_0_while_the_daemon_runs(box: Sandbox, token: str, tmp_path: Path) -> None:
    config = str(relative_config(box, tmp_path))
    command = [sys.executable, "-m", "cli", "--config", config, "--log-format", "json", "daemon"]
    daemon = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        store = tmp_path / "data" / "store.db"
        deadline = time.monotonic() + 40
        key = None
        while key is None and time.monotonic() < deadline:
            time.sleep(0.3)
            if store.exists():  # the daemon's saved ranking, read as any reader would (WAL)
                with closing(sqlite3.connect(store, timeout=5)) as db, suppress(sqlite3.OperationalError):
                    top = db.execute(
                        "select uid from scores where rank = 1"
                    ).fetchone()  # before migrations: none
                    key = top[0] if top else None
        assert key is not None, "the daemon never ranked"
        for args in (["log"], ["roadmap"], ["explain", key], ["status"]):
            result = cli("--config", config, *args)
            assert result.exit_code == 0, (args, result.output)
        assert "store in use by pid" in cli("--config", config, "status").output
    finally:
        daemon.terminate()
        daemon.wait(timeout=15)


def test_commands_ask_only_for_the_secrets_of_the_connections_they_contact(
    box: Sandbox, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = box.config(tmp_path / "store.db")
    names = list(data["connections"])
    locked_out, reachable = names[0], names[1]
    table = data["connections"][locked_out]
    secret_key = next(k for k, v in table.items() if isinstance(v, str) and TOKEN_ENV in v)
    table[secret_key] = "${RANKBRIDGE_TEST_UNSET_SECRET}"
    monkeypatch.delenv("RANKBRIDGE_TEST_UNSET_SECRET", raising=False)
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    config = str(path)
    for args in (["rules", "check"], ["status"], ["log"], ["plan"], ["roadmap"]):
        result = cli("--config", config, *args)
        assert result.exit_code == 0, (args, result.output)
    assert cli("--config", config, "pull", reachable).exit_code == 0
    missing = cli("--config", config, "pull")
    assert missing.exit_code == 2
    assert "RANKBRIDGE_TEST_UNSET_SECRET is not set" in missing.output and locked_out in missing.output
    doctor = cli("--config", config, "doctor")
    assert doctor.exit_code == 1
    assert f"ok {reachable}" in doctor.output and f"failed {locked_out}" in doctor.output


@pytest.mark.parametrize("shape", ["a file where the folder should be", "a folder without write permission"])
def test_an_unusable_store_folder_is_one_line_naming_it(tmp_path: Path, shape: str) -> None:
    blocker = tmp_path / "blocked"
    if shape.startswith("a file"):
        blocker.write_text("not a folder")
    elif os.geteuid() == 0:
        pytest.skip("root writes through folder permissions")
    else:
        blocker.mkdir(mode=0o500)
    config = tmp_path / "rankbridge.toml"
    config.write_text('[store]\npath = "blocked/sub/store.db"\n')
    try:
        for args in (["status"], ["pull"], ["log"], ["rank"]):
            result = cli("--config", str(config), *args)
            assert result.exit_code == 2, (args, result.output)
            assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
            assert str(blocker / "sub") in result.output and "writable" in result.output
    finally:
        if blocker.is_dir():
            blocker.chmod(0o700)
