"""A running daemon re-reads its config on SIGHUP or `rankbridge daemon --reload` (issue 20 item 3): a new
interval takes effect in the shared schedule, a config that cannot be used is refused with one logged line
and the daemon carries on, and on a PostgreSQL store one `--reload` (a NOTIFY) reaches every daemon."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from tests.daemon.test_daemon_run import Running, wait_for, write_config
from tests.postgres import read_store


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "github"], items=6, seed=7)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield sandbox
    sandbox.stop()


def messages(daemon: Running) -> list[str]:
    return [json.loads(line)["message"] for line in list(daemon.logs) if line.startswith("{")]


def logged(daemon: Running, text: str) -> int:
    return sum(text in message for message in messages(daemon))


def interval_of(location: str | Path, connection: str) -> int:
    sql = "select interval_seconds from connection_schedule where connection = ?"
    return int(read_store(location, sql, [connection])[0]["interval_seconds"])


def pulls(location: str | Path, connection: str) -> int:
    sql = "select count(*) as n from runs where kind = 'pull' and connection = ? and status = 'ok'"
    return int(read_store(location, sql, [connection])[0]["n"])


def reload(config: Path) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "daemon", "--reload"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_reload_takes_the_new_config_and_refuses_one_that_cannot_be_used(
    box: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    config = write_config(box, tmp_path)
    daemon = Running(config)
    try:
        wait_for("a first pull of jira", lambda: pulls(store, "jira") > 0)
        assert interval_of(store, "jira") == 1
        write_config(box, tmp_path, jira={"interval": 7})
        assert f"(pid {daemon.process.pid})" in reload(config)
        wait_for("the reload", lambda: logged(daemon, "config reloaded") == 1)
        # the log line comes before the restarted daemon writes its schedule: wait for that too
        wait_for("the new interval in the shared schedule", lambda: interval_of(store, "jira") == 7)

        config.write_text(config.read_text() + "\n[scoring\n")  # not TOML any more
        daemon.process.send_signal(signal.SIGHUP)
        wait_for("the refusal", lambda: logged(daemon, "config not reloaded") == 1)
        refusal = next(m for m in messages(daemon) if "config not reloaded" in m)
        assert "carrying on with the running one" in refusal and "TOML" in refusal
        seen = pulls(store, "github")
        wait_for("github pulled on, on the running config", lambda: pulls(store, "github") > seen)
        assert daemon.process.poll() is None
    finally:
        code, _ = daemon.stop()
    assert code == 0, daemon.logs[-5:]


def test_no_daemon_no_reload(box: Sandbox, tmp_path: Path) -> None:
    config = write_config(box, tmp_path)
    result = CliRunner().invoke(main, ["--config", str(config), "daemon", "--reload"])
    assert result.exit_code == 2 and "no daemon holds the store" in result.output, result.output


def test_one_reload_reaches_every_daemon_of_a_postgresql_store(
    box: Sandbox, tmp_path: Path, postgres_url: str
) -> None:
    config = write_config(box, tmp_path, store=postgres_url)
    daemons = [Running(config), Running(config)]
    try:
        wait_for("a first pull of jira", lambda: pulls(postgres_url, "jira") > 0)
        write_config(box, tmp_path, store=postgres_url, github={"interval": 9})
        assert "every daemon" in reload(config)
        for daemon in daemons:
            wait_for(f"pid {daemon.process.pid} reloaded", lambda d=daemon: logged(d, "config reloaded") == 1)
        wait_for("the new interval in the shared schedule", lambda: interval_of(postgres_url, "github") == 9)
    finally:
        codes = [d.stop()[0] for d in daemons]
    assert codes == [0, 0]
