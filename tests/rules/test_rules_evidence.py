"""The README's evidence examples, each loaded from the README and run on the sample world it describes
(tests/rules/evidence_world.py), through the rules engine's public entry point."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rules.config import EvidenceConfig, ScoringConfig
from rules.engine import RulesEngine
from sync.config import parse
from tests.rules.evidence_world import CUSTOMERS, ITEMS, LINKS, NOW, REQUESTS

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = [
    b for b in re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S) if "# ENG-1 scores" in b
]
NEW_NAMES = (
    "weighted_requests",
    "decayed_requests",
    "decayed_arr",
    "arr_where",
    "orgs_where",
    "requests_where",
    "days_to_renewal",
    "churn_risk_orgs",
    "churn_risk_arr",
    "rolled_up_requests",
)


def test_every_new_evidence_name_has_a_worked_example() -> None:
    for name in NEW_NAMES:
        assert any(re.search(rf"formula = .*\b{name}\b", block) for block in EXAMPLES), name


@pytest.mark.parametrize("block", EXAMPLES, ids=[b.split(":")[0].lstrip("# ") for b in EXAMPLES])
def test_each_readme_example_gives_the_score_it_states(block: str) -> None:
    expected = float(re.search(r"# ENG-1 scores ([\d.]+)", block).group(1))  # type: ignore[union-attr]
    config = parse(tomllib.loads(block), "README.md")
    result = RulesEngine(config.scoring, config.roadmap, config.capacity, config.customers).rank(
        ITEMS, LINKS, CUSTOMERS, now=NOW
    )
    scores = {s.key: s.score for s in result.scores}
    assert not result.errors
    assert scores["ENG-1"] == pytest.approx(expected)


def test_importance_tags_beat_priority_and_a_request_without_either_weighs_one() -> None:
    config = ScoringConfig(
        framework="custom",
        formula="weighted_requests",
        evidence=EvidenceConfig(
            importance_tags={"vip": 5, "beta": 0.5}, importance_by_priority={"urgent": 4}
        ),
    )
    result = RulesEngine(config).rank(ITEMS, LINKS, CUSTOMERS, now=NOW)
    # ENG-1: urgent 4, "important" no longer mapped → 1, vip 5; ENG-2: low no longer mapped → 1
    assert {s.key: s.score for s in result.scores} == {"ENG-1": 10.0, "ENG-2": 1.0}


def test_rolled_up_evidence_counts_each_request_once() -> None:
    # the child's request also names the epic directly: the epic still counts it once
    from sync.model import Link

    links = [*LINKS, Link(REQUESTS[3].uid, "requests", "text", dst_uid="jira:1")]
    config = ScoringConfig(
        framework="custom", formula="feedback_count", evidence=EvidenceConfig(rollup_to_epic=True)
    )
    scores = {s.key: s.score for s in RulesEngine(config).rank(ITEMS, links, CUSTOMERS, now=NOW).scores}
    assert scores == {"ENG-1": 4.0, "ENG-2": 1.0}
