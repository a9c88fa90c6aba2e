from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sync.config import ConfigError, load, parse

JIRA = {
    "type": "jira",
    "url": "https://x.atlassian.net",
    "email": "a@b.c",
    "token": "${JIRA_TOKEN}",
    "jql": "project = ENG",
}


def test_env_references_fill_secrets_that_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_TOKEN", "s3cret-value-xyz")
    config = parse({"connections": {"jira": JIRA}})
    assert "s3cret-value-xyz" not in repr(config)
    assert "s3cret-value-xyz" not in config.model_dump_json()


def test_a_missing_env_var_names_the_section_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIRA_TOKEN", raising=False)
    config = parse({"connections": {"jira": JIRA, "other": {**JIRA, "token": "plain"}}})
    config.require_secrets(["other"])  # only the connections a command contacts need their secrets
    with pytest.raises(ConfigError, match=r"\[connections.jira\] token <- environment variable JIRA_TOKEN"):
        config.require_secrets(["jira"])
    with pytest.raises(ConfigError, match="JIRA_TOKEN"):
        config.require_secrets()


def test_relative_store_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "rankbridge.toml").write_text('[store]\npath = "../shared/store.db"\n')
    assert load(folder / "rankbridge.toml").store.path == str(tmp_path / "shared" / "store.db")
    (folder / "abs.toml").write_text(f'[store]\npath = "{tmp_path}/x.db"\n')
    assert load(folder / "abs.toml").store.path == f"{tmp_path}/x.db"


def test_unknown_keys_and_bad_values_name_file_section_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_TOKEN", "t")
    raw = {
        "connections": {"jira": {**JIRA, "jqll": "x", "interval": "soon"}},
        "scoring": {"framework": "magic"},
        "stroe": {},
    }
    with pytest.raises(ConfigError) as caught:
        parse(raw, "my.toml")
    text = str(caught.value)
    assert "my.toml [connections.jira] jqll <- unknown key" in text
    assert "my.toml [connections.jira] interval <- Input should be a valid integer" in text
    assert "my.toml [scoring] framework <- Input should be" in text
    assert "my.toml [top level] stroe <- unknown key" in text


def test_unknown_connection_type() -> None:
    with pytest.raises(ConfigError, match=r"\[connections.x\] type <- .*unknown connection type 'trello'"):
        parse({"connections": {"x": {"type": "trello", "url": "u"}}})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[store\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(broken)


def test_init_writes_a_starter_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "t")
    path = tmp_path / "rankbridge.toml"
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "init"])
    assert result.exit_code == 0, result.output
    assert load(path).connections["jira"].type == "jira"
    assert runner.invoke(main, ["--config", str(path), "rules", "check"]).output.strip() == "rules ok"
    assert runner.invoke(main, ["--config", str(path), "init"]).exit_code == 2


def test_bad_config_exits_2_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "rankbridge.toml"
    path.write_text('[scoring]\nframework = "rice"\n[scoring.inputs]\nreach = "feedbak_orgs"\n')
    result = CliRunner().invoke(main, ["--config", str(path), "rules", "check"])
    assert result.exit_code == 2
    assert "did you mean 'feedback_orgs'" in result.output


def test_every_commented_example_in_the_starter_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from sync.presentation.starter import STARTER_CONFIG

    for name in ("JIRA_API_TOKEN", "GITHUB_TOKEN", "LINEAR_API_KEY", "ZENDESK_API_TOKEN"):
        monkeypatch.setenv(name, "t")
    text = re.sub(r"(?m)^# (?=\[|[\w.]+ = )", "", STARTER_CONFIG)
    import tomllib

    config = parse(tomllib.loads(text))
    assert set(config.connections) == {"jira", "github", "linear", "zendesk"}
    assert config.roadmap.themes and config.status.rules
