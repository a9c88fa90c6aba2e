"""The tests' throwaway PostgreSQL: reachable only over its unix socket, one fresh database per test, not
run as root, and gone with the process that started it (even one killed with SIGKILL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg

from sandbox.postgres import ThrowawayPostgres
from tests.postgres import REQUIRE_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_a_fresh_database_per_test(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()
        conn.execute("create table mine (x int)")
        settings = dict(conn.execute("select name, setting from pg_settings").fetchall())
        user = conn.execute(
            "select usename from pg_user where usesysid = (select datdba "
            "from pg_database where datname = current_database())"
        ).fetchone()
    assert tables == (0,)
    assert settings["listen_addresses"] == ""  # no TCP port
    assert user == ("rankbridge",)


def test_the_next_test_gets_another_empty_database(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select to_regclass('mine')").fetchone() == (None,)


def test_the_server_never_runs_as_root(postgres_server: ThrowawayPostgres) -> None:
    assert postgres_server.process is not None
    owner = os.stat(f"/proc/{postgres_server.process.pid}").st_uid
    assert owner != 0
    assert os.getppid() != postgres_server.process.pid  # a child of this process, not a daemon


def test_the_server_dies_with_a_killed_parent(postgres_server: ThrowawayPostgres) -> None:
    """A process starts a server, prints its pid, and is killed with SIGKILL: the server goes too (the
    session's server stands for "one can be had here")."""
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from sandbox.postgres import ThrowawayPostgres
        server = ThrowawayPostgres().start()
        print(server.process.pid, server.folder, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid_text, folder = parent.stdout.readline().split()
    postmaster = int(pid_text)
    assert Path(f"/proc/{postmaster}").exists()
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(postmaster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(postmaster)
    shutil.rmtree(folder, ignore_errors=True)


def test_stop_reaps_the_server_and_removes_its_folder(postgres_server: ThrowawayPostgres) -> None:
    server = ThrowawayPostgres().start()
    assert server.process is not None and server.folder is not None
    process, folder = server.process, server.folder
    server.stop()
    assert process.returncode is not None
    assert not folder.exists()


def _alive(pid: int) -> bool:
    """Alive and not a zombie (a killed parent's orphans are reaped by init, not by us)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _run_one_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """One test asking for PostgreSQL, run by a pytest of its own with ``env``."""
    environment = {k: v for k, v in os.environ.items() if k != REQUIRE_ENV} | env
    test = "tests/unit/test_postgres_server.py::test_the_next_test_gets_another_empty_database"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist", test]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_without_a_server_the_tests_skip_with_the_reason_unless_one_is_required(tmp_path: Path) -> None:
    skipped = _run_one_test(tmp_path, RANKBRIDGE_POSTGRES_BIN=str(tmp_path))
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout[-1500:]
    assert f"no PostgreSQL server: RANKBRIDGE_POSTGRES_BIN={tmp_path} holds no initdb and postgres" in (
        skipped.stdout
    )
    required = _run_one_test(tmp_path, RANKBRIDGE_POSTGRES_BIN=str(tmp_path), **{REQUIRE_ENV: "1"})
    assert required.returncode == 1 and "1 error" in required.stdout, required.stdout[-1500:]
    assert f"{REQUIRE_ENV}=1 but no PostgreSQL server" in required.stdout
