"""Worked examples of the capacity cut line and of mirror groups (one score, one position)."""

from __future__ import annotations

from datetime import date

import pytest

from rules.config import CapacityConfig, CycleCapacity, ScoringConfig
from rules.engine import RulesEngine
from tests.rules.builders import CUSTOMERS, NOW, issue, mirror, ticket

BY_PRIORITY = ScoringConfig(framework="custom", inputs={"value": "10 - priority_level"}, formula="value")


def ranked_items() -> list:  # type: ignore[type-arg]
    return [
        issue(1, priority_level=1, estimate=4.0),  # score 9
        issue(2, priority_level=2, estimate=5.0),  # 8
        issue(3, priority_level=3, estimate=2.0),  # 7
        issue(4, priority_level=4, estimate=1.0),  # 6
        issue(5, priority_level=1, estimate=3.0, container="WEB"),  # 9
    ]


def test_capacity_cut_line_per_container() -> None:
    capacity = CapacityConfig(per_container={"ENG": 10})
    result = RulesEngine(BY_PRIORITY, capacity=capacity).rank(ranked_items(), [], [], now=NOW)
    # ranking: J-1 (9), J-5 (9, uid j:5 after j:1), J-2 (8), J-3 (7), J-4 (6)
    assert [s.key for s in result.scores] == ["J-1", "J-5", "J-2", "J-3", "J-4"]
    # ENG: J-1 4 (total 4) fits, J-2 5 (9) fits, J-3 2 (11 > 10) is the first below the line, and J-4
    # (1, which alone would still fit) stays below it: the line does not let later items jump over
    fits = {s.key: s.fits_next_cycle for s in result.scores}
    assert fits == {"J-1": True, "J-5": None, "J-2": True, "J-3": False, "J-4": False}
    line = result.capacity["j:ENG"]
    assert (line.used, line.fitting, line.last_rank, line.first_out) == (9.0, 2, 3, "J-3")
    assert [s.key for s in result.next_cycle()] == ["J-1", "J-2"]


def test_capacity_uses_normalised_estimates_and_a_default() -> None:
    scoring = BY_PRIORITY.model_copy(update={"estimate_scale": {"j": 0.5}})
    capacity = CapacityConfig(default=1.5, per_container={"ENG": 6}, default_effort=2)
    items = [*ranked_items(), issue(6, priority_level=4)]  # no estimate: effort 2
    result = RulesEngine(scoring, capacity=capacity).rank(items, [], [], now=NOW)
    fits = {s.key: s.fits_next_cycle for s in result.scores}
    # ENG efforts halved: J-1 2, J-2 2.5, J-3 1 → 5.5; J-4 0.5 → 6 fits exactly; J-6 (2) → 8 does not
    assert [fits[k] for k in ("J-1", "J-2", "J-3", "J-4", "J-6")] == [True, True, True, True, False]
    # WEB takes the default capacity 1.5: J-5 (3 × 0.5 = 1.5) fits
    assert fits["J-5"] is True


def test_capacity_is_per_team_a_connection_and_its_container() -> None:
    # A Jira project ENG and a Linear team ENG: two teams, two lines (a bare key gives each the same
    # capacity, a qualified one sets one team), and a cycle entry replaces a team's capacity for its dates.
    items = [
        issue(1, "l", priority_level=1, estimate=6.0),  # 9, linear:ENG
        issue(2, priority_level=2, estimate=4.0),  # 8, j:ENG
        issue(3, "l", priority_level=3, estimate=1.0),  # 7, linear:ENG
        issue(4, priority_level=4, estimate=3.0),  # 6, j:ENG
    ]
    capacity = CapacityConfig(per_container={"ENG": 7, "l:ENG": 6})
    result = RulesEngine(BY_PRIORITY, capacity=capacity).rank(items, [], [], now=NOW)
    fits = {s.key: s.fits_next_cycle for s in result.scores}
    # l:ENG 6: L-1 (6) fits, L-3 (7) does not; j:ENG 7: J-2 (4) and J-4 (7) fit, Linear took nothing of it
    assert fits == {"L-1": True, "J-2": True, "L-3": False, "J-4": True}
    assert sorted(result.capacity) == ["j:ENG", "l:ENG"]
    assert result.capacity["l:ENG"].describe() == (
        "l:ENG: 6 of 6 used by 1 item(s), through rank 1; first below the line: L-3"
    )
    holiday = CycleCapacity(team="j:ENG", starts=date(2026, 10, 26), ends=date(2026, 11, 6), capacity=4)
    later = CycleCapacity(team="j:ENG", starts=date(2026, 11, 9), ends=date(2026, 11, 20), capacity=0)
    capacity = capacity.model_copy(update={"cycles": [holiday, later]})
    result = RulesEngine(BY_PRIORITY, capacity=capacity).rank(items, [], [], now=NOW)
    fits = {s.key: s.fits_next_cycle for s in result.scores}
    assert (fits["J-2"], fits["J-4"]) == (True, False)  # NOW (1 Nov) is in the holiday cycle: capacity 4
    assert result.capacity["j:ENG"].cycle == "2026-10-26..2026-11-06"


def test_mirrors_are_scored_once_from_merged_evidence_and_share_a_position() -> None:
    t1, l1 = ticket(1, "z:acme", "j:1")
    t2, l2 = ticket(2, "z:beta", "l:1")
    t3, l3 = ticket(3, "z:acme", "g:1")
    t4, l4 = ticket(4, "z:cola", "j:1", "l:1")  # one ticket linked to two copies counts once
    items = [
        issue(1, priority_level=2, estimate=2.0),
        issue(1, "l", priority_level=3, estimate=8.0),
        issue(1, "g"),
        issue(2, priority_level=1, estimate=1.0),
        t1,
        t2,
        t3,
        t4,
    ]
    links = [*l1, *l2, *l3, *l4, mirror("j:1", "l:1"), mirror("g:1", "l:1")]  # a chain: one group
    result = RulesEngine(ScoringConfig()).rank(items, links, CUSTOMERS, now=NOW)
    # merged evidence of the group: tickets 1–4 (4 requests) from Acme, Beta and Cola → reach 3
    # J-1: 3 × impact 2 × 0.8 / 2 = 2.4; L-1: 3 × 1 × 0.8 / 8 = 0.3;
    # G-1: impact and effort imputed → 3 × 1 × 0.8 × 0.8² / 3 = 0.512. The group takes the best: 2.4
    # J-2: reach imputed → 1 × 3 × 0.64 / 1 = 1.92, below the group
    ranks = {s.key: (s.rank, s.score) for s in result.scores}
    assert ranks == {"J-1": (1, 2.4), "L-1": (1, 2.4), "G-1": (1, 2.4), "J-2": (2, 1.92)}
    members = [s for s in result.scores if s.rank == 1]
    assert all(s.group == ("g:1", "j:1", "l:1") for s in members)
    assert {s.key: s.scored_by for s in members} == {"J-1": None, "L-1": "J-1", "G-1": "J-1"}
    assert all(s.evidence["feedback_count"] == 4 and s.evidence["mirrors"] == 2 for s in members)


def test_items_of_a_run_get_ranks_one_per_position_with_mirrors() -> None:
    items = [issue(1, priority_level=1), issue(1, "l", priority_level=1), issue(2, priority_level=3)]
    result = RulesEngine(BY_PRIORITY).rank(items, [mirror("j:1", "l:1")], [], now=NOW)
    # the group (9) takes position 1 for both copies; J-2 (7) is next at position 2
    assert [(s.key, s.rank) for s in result.scores] == [("J-1", 1), ("L-1", 1), ("J-2", 2)]
    assert result.scores[0].score == pytest.approx(9)
