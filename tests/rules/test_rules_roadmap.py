"""Worked examples of roadmap themes (weights, horizons, objectives) and the alignment report."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from rules.config import CapacityConfig, RoadmapConfig, ScoringConfig, Theme
from rules.engine import RulesEngine
from rules.roadmap import alignment_report
from tests.rules.builders import CUSTOMERS, NOW, issue, ticket

ROADMAP = RoadmapConfig(
    themes=[
        Theme(
            name="Security",
            match="'security' in labels",
            weight=2,
            starts=date(2026, 10, 1),
            ends=date(2026, 12, 31),
        ),
        Theme(name="Mobile", match="container == 'MOB'", weight=1.5, starts=date(2027, 1, 1)),
        Theme(name="Enterprise", match="enterprise_orgs > 0", weight=1.2, objective="Win enterprise deals"),
    ],
    loud_orgs=2,
)
ICE = ScoringConfig(framework="ice")


def test_themes_weight_only_inside_their_horizon() -> None:
    t1, l1 = ticket(1, "z:acme", "j:3")
    items = [
        issue(1, labels=["security"], priority_level=3, estimate=5.0),
        issue(2, container="MOB", priority_level=3, estimate=5.0),
        issue(3, labels=["security"], priority_level=3, estimate=5.0),
        t1,
    ]
    scores = {s.key: s for s in RulesEngine(ICE, ROADMAP).rank(items, l1, CUSTOMERS, now=NOW).scores}
    # every item: ICE impact 10 − 2 × 3 = 4, confidence 8, ease 10 − 5 = 5 → 160
    # J-1: Security is active on 2026-11-01 → × 2 = 320
    assert scores["J-1"].score == pytest.approx(320)
    assert scores["J-1"].themes == ["Security"]
    # J-2: Mobile starts in 2027: matched but no weight → 160, reported as outside its horizon
    assert scores["J-2"].score == pytest.approx(160)
    assert scores["J-2"].themes == []
    assert list(scores["J-2"].dormant_themes) == ["Mobile"]
    # J-3: Security (2) and Enterprise (1.2) both match: the heaviest weight counts once → 320
    assert scores["J-3"].score == pytest.approx(320)
    assert scores["J-3"].themes == ["Security", "Enterprise"]


def test_alignment_report_effort_shares_unaligned_and_loud_items() -> None:
    t1, l1 = ticket(1, "z:acme", "j:3")
    t2, l2 = ticket(2, "z:beta", "j:5")
    t3, l3 = ticket(3, "z:cola", "j:5")
    items = [
        issue(1, labels=["security"], estimate=5.0),  # Security, effort 5
        issue(2, container="MOB", status_category="in_progress", estimate=3.0),  # only a future theme
        issue(3, estimate=2.0),  # Enterprise (an Acme ticket), effort 2
        issue(4, status_category="backlog", estimate=8.0),  # not planned: left out of the shares
        issue(5),  # no theme, no estimate: default effort 1; two organisations ask for it
        t1,
        t2,
        t3,
    ]
    result = RulesEngine(ICE, ROADMAP, CapacityConfig()).rank(items, [*l1, *l2, *l3], CUSTOMERS, now=NOW)
    report = alignment_report(result, ROADMAP)
    # planned and in-progress effort 5 + 3 + 2 + 1 = 11
    assert report.total_effort == 11
    shares = {t.name: t.share for t in report.themes}
    # Security 5 / 11, Mobile 0 (outside its horizon), Enterprise 2 / 11
    assert shares == {"Security": pytest.approx(0.4545), "Mobile": 0.0, "Enterprise": pytest.approx(0.1818)}
    # unaligned: J-2 (3) and J-5 (1) → 4 / 11; aligned 7 / 11
    assert sorted(report.unaligned.keys) == ["J-2", "J-5"]
    assert report.unaligned.share == pytest.approx(0.3636)
    assert report.aligned_share == pytest.approx(0.6364)
    assert report.outside_horizon == ["J-2"]
    assert [t.active for t in report.themes] == [True, False, True]
    assert report.themes[2].objective == "Win enterprise deals"
    # loud but off-strategy: J-5 has 2 organisations (≥ loud_orgs) and no theme
    assert [row["key"] for row in report.loud_off_strategy] == ["J-5"]
    assert report.loud_off_strategy[0]["feedback_orgs"] == 2
    assert any("loud but off-strategy" in line for line in report.lines())
    assert report.as_dict()["unaligned"]["items"] == 2


def test_a_theme_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="ends"):
        Theme(name="x", match="True", starts=date(2026, 2, 1), ends=date(2026, 1, 1))
