"""Shared pieces of the operator-experience tests: one sandbox per module and a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.registry import available

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(available(), items=10, seed=31)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def token(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    return box.token


def cli(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)
