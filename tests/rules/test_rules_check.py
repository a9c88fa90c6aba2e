"""`rankbridge rules check` runs every rule on sample items and refuses status rules whose writes reach a
tracker that cannot take them (issue 14 items 6 and 8), through the CLI with real config files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from connectors.registry import connector_class, service_types
from sync.model import OpKind

CONNECTIONS = """
[connections.jira]
type = "jira"
url = "https://x.atlassian.net"
email = "a@b.c"
token = "t"
jql = "project = ENG"

[connections.linear]
type = "linear"
api_key = "t"
teams = ["ENG"]
"""


def check(tmp_path: Path, rules: str) -> Result:
    path = tmp_path / "rankbridge.toml"
    path.write_text(CONNECTIONS + rules)
    return CliRunner().invoke(main, ["--config", str(path), "rules", "check"])


def test_a_rule_failing_on_every_sample_fails_the_check_naming_rule_expression_and_sample(
    tmp_path: Path,
) -> None:
    result = check(tmp_path, '[[scoring.adjust]]\nname = "huge"\nwhen = "round(1, -10 ** 9) > 0"\nadd = 1\n')
    assert result.exit_code == 1, result.output
    assert "rule 'adjust huge' fails on every sample" in result.output
    assert "round(1, -10 ** 9) > 0" in result.output
    assert "jira/" in result.output and "round() takes digits" in result.output
    assert "rules ok" not in result.output


def test_a_rule_failing_on_some_shapes_is_a_warning_naming_the_shape(tmp_path: Path) -> None:
    rules = '[[scoring.adjust]]\nname = "per point"\nwhen = "10 / estimate > 1"\nadd = 1\n'
    result = check(tmp_path, rules)
    assert result.exit_code == 0, result.output
    assert "warning rule 'adjust per point' fails on" in result.output
    assert "jira/zero-effort" in result.output and "jira/missing-estimate" in result.output
    assert "jira/empty-labels" not in result.output  # a plain estimate divides fine
    assert "`10 / estimate > 1`" in result.output
    assert "rules ok (1 warning(s))" in result.output


def test_a_comment_rule_reaching_a_tracker_without_comments_is_refused(tmp_path: Path) -> None:
    rules = "[[status.rules]]\nname = 'nudge'\nwhen = 'feedback_count > 3'\ncomment = 'asked'"
    result = check(tmp_path, rules)
    assert result.exit_code == 2, result.output
    line = next(line for line in result.output.splitlines() if "nudge" in line)
    assert "status rule 'nudge' cannot apply to connection 'linear'" in line
    assert "no comment writes" in line
    assert "'jira'" not in line  # Jira takes comments


def run(tmp_path: Path, rules: str, *args: str) -> Result:
    path = tmp_path / "rankbridge.toml"
    path.write_text(CONNECTIONS + rules)
    return CliRunner().invoke(main, ["--config", str(path), *args])


@pytest.mark.parametrize("command", [("rank",), ("plan",), ("sync",), ("daemon", "--once")])
def test_rank_plan_sync_and_the_daemon_refuse_it_at_config_load_with_the_same_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    rules = "[[status.rules]]\nname = 'nudge'\nwhen = 'feedback_count > 3'\ncomment = 'asked'"
    checked = run(tmp_path, rules, "rules", "check")
    refusal = next(line for line in checked.output.splitlines() if "nudge" in line).removeprefix("error ")
    result = run(tmp_path, rules, *command)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"rules error: {refusal}"]
    assert not (tmp_path / ".rankbridge").exists()  # refused before the store was opened


def test_rank_runs_a_rule_that_leaves_the_tracker_out(tmp_path: Path) -> None:
    rules = "[[status.rules]]\nname = 'nudge'\nwhen = \"connection != 'linear'\"\ncomment = 'asked'"
    result = run(tmp_path, rules, "rank", "--json")
    assert result.exit_code == 0, result.output


def test_a_rule_that_leaves_the_tracker_out_passes(tmp_path: Path) -> None:
    rules = (
        '[[status.rules]]\nname = "nudge"\nwhen = "connection != \'linear\' and feedback_count > 3"\n'
        'comment = "asked"\ntag = "asked"\n'
    )
    result = check(tmp_path, rules)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "rules ok"


def test_a_tag_on_mirrors_is_refused_for_the_tracker_the_mirrors_may_live_in(tmp_path: Path) -> None:
    rules = (
        '[[status.rules]]\nname = "flag"\nwhen = "connection == \'jira\'"\ntag = "asked"\n'
        'target = "mirrors"\n'
        '[[status.rules]]\nname = "close"\nwhen = "feedback_count > 9"\nset_category = "done"\n'
    )
    result = check(tmp_path, rules)
    assert result.exit_code == 2, result.output
    assert "status rule 'flag' cannot apply to connection 'linear'" in result.output
    assert "no tag writes" in result.output
    assert "'close'" not in result.output  # every tracker takes status writes


@pytest.mark.parametrize("type_", service_types())
def test_every_connector_declares_op_kinds_it_knows(type_: str) -> None:
    kinds = connector_class(type_).op_kinds
    assert kinds and kinds <= {k.value for k in OpKind}
    assert OpKind.STATUS in kinds  # status rules apply everywhere
