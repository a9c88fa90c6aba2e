"""Jira epics everywhere and links on both issues, through the CLI against the sandbox: company-managed
projects (OPS on Cloud) and every Data Center project hang issues on their epic through the Epic Link field,
found through GET /field; a link Jira lists on both of its issues is stored once."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sandbox.jira import JiraEmulator
from sandbox.launcher import TOKEN_ENV, Sandbox


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_epics_by_epic_link_and_links_stored_once(
    deployment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Sandbox.start(["jira"], items=60, seed=4, settings={"jira": {"deployment": deployment}})
    try:
        monkeypatch.setenv(TOKEN_ENV, box.token)
        config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db")
        assert "epic_link_field" not in config.read_text()  # found through GET /field
        result = CliRunner().invoke(main, ["--config", str(config), "pull"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        emulator = box.emulator("jira")
        assert isinstance(emulator, JiraEmulator)
        with sqlite3.connect(tmp_path / "store.db") as db:
            parents = dict(db.execute("select native_id, parent_uid from items").fetchall())
            rows = db.execute("select src_uid, dst_uid from links where origin = 'api' and type != 'parent'")
            stored = Counter(rows.fetchall())
        children = [i for i in emulator.store.all() if i.parent]
        by_epic_link = [i for i in children if emulator.render.company_managed(i)]
        assert by_epic_link and (deployment == "datacenter") == (len(by_epic_link) == len(children))
        for child in children:
            epic = emulator.store.find(child.parent or "")
            assert epic is not None and parents[str(child.id)] == f"jira:{epic.id}", child.key
        expected = {
            (f"jira:{issue.id}", f"jira:{other.id}")
            for issue in emulator.store.all()
            for _, key in issue.links
            if (other := emulator.store.find(key)) is not None
        }
        assert expected and set(stored) == expected and set(stored.values()) == {1}
    finally:
        box.stop()
