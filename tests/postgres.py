"""PostgreSQL for the tests: one throwaway server per test session (:mod:`sandbox.postgres`), a fresh
database per test.

``postgres_server`` (session) is the running server; ``postgres_url`` is the URL of an empty database
made for one test (``CREATE DATABASE … TEMPLATE template0``) and dropped after it. ``backend`` runs a test
once per store backend (``sqlite``, ``postgres``) and ``store_location`` is an empty store of it;
``store_table`` is the ``[store]`` table of a config naming that store. Without a server (no
binaries, no psycopg, a start that fails) the tests that ask for one skip with the reason, unless
``RANKBRIDGE_REQUIRE_POSTGRES=1`` (CI sets it; ``make test`` installs the binaries when it can), where they
fail with it.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sandbox.postgres import PostgresUnavailable, ThrowawayPostgres

REQUIRE_ENV = "RANKBRIDGE_REQUIRE_POSTGRES"


def no_server(reason: str) -> None:
    """Skip, or fail where a server is required."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but no PostgreSQL server: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        no_server("psycopg is not installed (pip install -e '.[dev]')")
    server = ThrowawayPostgres(fsync=False)
    try:
        server.start()
    except PostgresUnavailable as error:
        no_server(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: ThrowawayPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend a test runs against: each test asking for it runs once per backend."""
    return str(request.param)


@pytest.fixture
def store_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty store of ``backend``: an SQLite file path, or the URL of a fresh PostgreSQL database."""
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "store.db")


def store_table(location: str | Path) -> dict[str, str]:
    """The ``[store]`` table of a config for ``location`` (``url`` for PostgreSQL, ``path`` for SQLite)."""
    text = str(location)
    return {"url": text} if text.startswith("postgresql://") else {"path": text}


def read_store(location: str | Path, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of ``query`` (``?`` placeholders) read from a store as any client of its database would: a
    read-only SQLite connection of our own, or a PostgreSQL session of our own."""
    text = str(location)
    if text.startswith("postgresql://"):
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(text, autocommit=True, row_factory=dict_row) as conn:
            sql = query.replace("%", "%%").replace("?", "%s") if params else query
            return list(conn.execute(sql.encode(), list(params) or None).fetchall())
    db = sqlite3.connect(f"file:{text}?mode=ro", uri=True, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(query, params)]
    finally:
        db.close()
