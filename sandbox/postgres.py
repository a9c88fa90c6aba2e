"""A throwaway PostgreSQL server for the tests and the benchmarks, from the distribution's server binaries.

The server lives in a temporary folder (data directory and unix socket, no TCP port), runs as a child of
the calling process, is stopped and its folder removed by :meth:`ThrowawayPostgres.stop`, and dies with the
caller even when the caller is killed (the parent-death signal asks it for an immediate shutdown). Run as
root, it drops to an unprivileged user first: PostgreSQL refuses to run as root.

Like the emulators, it imports no product code; it hands out connection URLs and nothing else.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "rankbridge"  # trusted on the socket, as a test's own administrator
PASSWORD_ROLE = "rankbridge_pw"  # must give its password (SCRAM), for the tests of secrets in URLs
BIN_ROOTS = (Path("/usr/lib/postgresql"), Path("/usr/local/pgsql"))
BIN_ENV = "RANKBRIDGE_POSTGRES_BIN"  # a server's bin folder of one's choosing
START_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1  # prctl(2)


class PostgresUnavailable(RuntimeError):
    """No server can be had here; the message says why (and how to get one)."""


def server_bindir() -> Path:
    """The folder ``RANKBRIDGE_POSTGRES_BIN`` names, else the newest installed server's ``bin`` folder
    (Debian: ``/usr/lib/postgresql/<version>/bin``), else the folder of ``initdb`` on the PATH."""
    chosen = os.environ.get(BIN_ENV)
    if chosen:
        if _has_server(Path(chosen)):
            return Path(chosen)
        raise PostgresUnavailable(f"{BIN_ENV}={chosen} holds no initdb and postgres")
    found: list[tuple[int, Path]] = []
    for root in BIN_ROOTS:
        for candidate in root.glob("*/bin") if root.is_dir() else ():
            version = re.match(r"\d+", candidate.parent.name)
            if version and _has_server(candidate):
                found.append((int(version.group()), candidate))
        if _has_server(root / "bin"):
            found.append((0, root / "bin"))
    if found:
        return max(found)[1]
    on_path = shutil.which("initdb")
    if on_path and _has_server(Path(on_path).parent):
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL's server binaries (initdb, postgres) are not installed (apt-get install postgresql)"
    )


def _has_server(folder: Path) -> bool:
    return (folder / "initdb").is_file() and (folder / "postgres").is_file()


@dataclass(frozen=True)
class RunAs:
    """Who runs ``initdb`` and ``postgres``: the caller, or (as root) an unprivileged account."""

    uid: int
    gid: int

    @classmethod
    def choose(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls(os.getuid(), os.getgid())
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return cls(entry.pw_uid, entry.pw_gid)
        raise PostgresUnavailable("running as root and no unprivileged account (postgres, nobody) to drop to")

    def preexec(self, die_with_parent: bool) -> Callable[[], None]:
        """What the child runs before exec: drop privileges, then (credential changes clear it) ask the
        kernel to send SIGQUIT, PostgreSQL's immediate shutdown, when the parent dies."""
        parent = os.getpid()
        dropping = os.geteuid() == 0

        def run() -> None:
            if dropping:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
            if die_with_parent:
                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)
                if os.getppid() != parent:  # the parent died before the request took effect
                    os._exit(1)

        return run


class ThrowawayPostgres:
    """One PostgreSQL server in a temporary folder. ``fsync=False`` trades durability for speed (tests);
    benchmarks keep the defaults (``fsync=on``, synchronous commits)."""

    def __init__(self, fsync: bool = False) -> None:
        self.fsync = fsync
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def socket_dir(self) -> Path:
        assert self.folder is not None, "the server is not started"
        return self.folder / "socket"

    def url(self, database: str = "postgres") -> str:
        """A libpq URL reaching ``database`` as the superuser over the unix socket."""
        return f"postgresql://{SUPERUSER}@/{quote(database)}?host={quote(str(self.socket_dir), safe='')}"

    def start(self) -> ThrowawayPostgres:
        bindir = server_bindir()
        run_as = RunAs.choose()
        self.folder = Path(tempfile.mkdtemp(prefix="rankbridge-pg-"))
        try:
            data, log = self.folder / "data", self.folder / "server.log"
            self.socket_dir.mkdir()
            for path in (self.folder, self.socket_dir):
                os.chown(path, run_as.uid, run_as.gid)
            self._initdb(bindir, data, run_as)
            with log.open("wb") as out:
                os.chown(log, run_as.uid, run_as.gid)
                self.process = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(data), *self._settings()],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    preexec_fn=run_as.preexec(die_with_parent=True),
                    cwd=self.folder,
                )
            self._wait_ready(log)
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self, bindir: Path, data: Path, run_as: RunAs) -> None:
        command = [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8"]
        done = subprocess.run(
            [*command, "--no-locale", "--no-sync", "--no-instructions"],
            capture_output=True,
            preexec_fn=run_as.preexec(die_with_parent=False),
            cwd=self.folder,
            timeout=START_TIMEOUT,
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.decode(errors='replace').strip()[-800:]}")
        hba = data / "pg_hba.conf"  # the first matching line wins
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text())

    def password_database(self, name: str, password: str) -> str:
        """A fresh database owned by :data:`PASSWORD_ROLE`, which logs in only with ``password``; the URL
        (password included)."""
        self._admin(
            f"do $$ begin if not exists (select from pg_roles where rolname = '{PASSWORD_ROLE}') then "
            f"create role {PASSWORD_ROLE} login; end if; end $$"
        )
        self._admin(f"alter role {PASSWORD_ROLE} password '{password}'")
        self._admin(f"CREATE DATABASE \"{name}\" OWNER {PASSWORD_ROLE} TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name).replace(f"{SUPERUSER}@", f"{PASSWORD_ROLE}:{quote(password, safe='')}@", 1)

    def _settings(self) -> list[str]:
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": "200",
            "fsync": "on" if self.fsync else "off",
            "synchronous_commit": "on" if self.fsync else "off",
            "full_page_writes": "on" if self.fsync else "off",
            "logging_collector": "off",
        }
        return [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]

    def _wait_ready(self, log: Path) -> None:
        """Until the server accepts a connection on its socket (``pg_isready`` semantics, tried with a
        real connection), or it exits, or :data:`START_TIMEOUT` passes."""
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise PostgresUnavailable(f"postgres exited at start: {_tail(log)}")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"postgres did not accept connections in {START_TIMEOUT:.0f}s")
            time.sleep(0.05)

    def stop(self) -> None:
        """A fast shutdown (SIGINT), then an immediate one, then SIGKILL; the child is reaped and the
        folder removed."""
        if self.process is not None:
            for sig, grace in ((signal.SIGINT, 15.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
                if self.process.poll() is not None:
                    break
                self.process.send_signal(sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(grace)
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def create_database(self, name: str) -> str:
        """A fresh, empty database (from ``template0``); its URL."""
        self._admin(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement.encode())

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace").strip()[-800:]
    except OSError:
        return "(no log)"
