"""Request budgets at scale (figures the benchmark reuses from benchmarks.github_costs)."""

from __future__ import annotations

import math

from benchmarks.github_costs import full_pull_cost, rerank_cost


def test_full_pull_needs_one_list_page_per_hundred_issues() -> None:
    cost = full_pull_cost(issues=1000)
    assert cost["issues_pulled"] == 1000
    assert cost["list_pages"] <= math.ceil(cost["listed_with_pull_requests"] / 100) + 2, cost
    assert cost["requests"] == cost["list_pages"]


def test_reordering_ten_of_300_sends_at_most_ten_position_mutations() -> None:
    cost = rerank_cost(size=300, moved=10)
    assert cost["project_items"] == 300 and cost["all_ok"] and cost["order_matches"], cost
    assert cost["position_mutations"] <= 10 and cost["all_writes"] == cost["position_mutations"], cost
