"""Shared pytest setup: make ``tests`` importable as a package (``from tests.specs import ...``)
from every test folder, however pytest was started; the PostgreSQL and backend fixtures (``postgres_server``,
``postgres_url``, ``backend``, ``store_location``, see :mod:`tests.postgres`) for every test folder."""

import sys
from pathlib import Path

REPO_ROOT = str(Path(__file__).resolve().parents[1])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tests.postgres import backend, postgres_server, postgres_url, store_location  # noqa: E402

__all__ = ["backend", "postgres_server", "postgres_url", "store_location"]
