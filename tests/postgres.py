"""PostgreSQL for the tests: one throwaway server per test session (:mod:`sandbox.postgres`), a fresh
database per test.

``postgres_server`` (session) is the running server; ``postgres_url`` is the URL of an empty database
made for one test (``CREATE DATABASE … TEMPLATE template0``) and dropped after it. Without a server (no
binaries, no psycopg, a start that fails) the tests that ask for one skip with the reason, unless
``RANKBRIDGE_REQUIRE_POSTGRES=1`` (CI sets it; ``make test`` installs the binaries when it can), where they
fail with it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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
