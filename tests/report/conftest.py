"""One sandbox sync for the report tests: four trackers, the demo's rules (themes with targets, capacity),
a first sync, then changes a person makes in the trackers (a title written as markup by a customer, an
issue relabelled so that an adjustment lifts it), a second sync, and the report written by the CLI."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click.testing
import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.presentation.demo import DEMO_RULES

HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)>'


@dataclass
class Reported:
    box: Sandbox
    config: Path
    site: Path
    store: Path
    lifted: str  # the qualified reference of the issue the second sync moved up
    hostile: str  # the qualified reference of the ranked issue titled with markup
    closed: str = ""  # the qualified reference of the issue closed before the second sync

    def cli(self, *args: str, code: int = 0) -> click.testing.Result:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def sql(self, query: str) -> list[dict[str, Any]]:
        """Read the store as any SQLite client would (a read-only connection of our own)."""
        db = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(query)]
        finally:
            db.close()

    def ranking(self) -> list[dict[str, Any]]:
        """The saved ranking (``rank`` would add a ranking run)."""
        out = self.sql(
            "select s.uid, s.rank, s.score, s.components, i.connection, i.key, i.container "
            "from scores s join items i using (uid) where s.rank is not null order by s.rank, s.uid"
        )
        for row in out:
            row["ref"] = f"{row['connection']}:{row['key'].removeprefix('#')}"
            row["components"] = json.loads(row["components"])
        return out


@pytest.fixture(scope="package")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reported]:
    tmp = tmp_path_factory.mktemp("report")
    box = Sandbox.start(items=14, seed=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, box.token)
        config = box.write_config(tmp / "rankbridge.toml", tmp / "store.db", DEMO_RULES)
        world = Reported(box, config, tmp / "site", tmp / "store.db", "", "")
        world.cli("sync")
        ranking = world.ranking()
        jira = [r for r in ranking if r["connection"] == "jira"]
        hostile, lifted, closed = jira[0], jira[-1], jira[1]
        box.edit("jira", {"key": hostile["key"], "set": {"title": HOSTILE}})
        box.edit("jira", {"key": closed["key"], "set": {"status_category": "done"}})
        box.edit("jira", {"key": lifted["key"], "set": {"labels": ["security"]}})
        ticket = next(i for i in box.state("zendesk")["items"] if i["status_category"] != "done")
        box.edit("zendesk", {"key": ticket["key"], "set": {"title": HOSTILE}})
        world.cli("sync")
        world.lifted, world.hostile, world.closed = lifted["ref"], hostile["ref"], closed["ref"]
        world.cli("report", "--out", str(world.site))
        yield world
    box.stop()
