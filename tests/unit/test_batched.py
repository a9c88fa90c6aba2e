"""The one chunking helper (API batch limits, SQL ``in (...)`` lists, report pages)."""

from __future__ import annotations

import pytest

from sync.model import batched
from sync.plan.moves import minimal_moves


def test_batches_keep_order_and_the_last_is_shorter() -> None:
    assert list(batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([1, 2, 3, 4], 2)) == [[1, 2], [3, 4]]
    assert list(batched([], 50)) == []


def test_a_generator_is_read_once_in_batches() -> None:
    assert list(batched((n * n for n in range(5)), 2)) == [[0, 1], [4, 9], [16]]


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(batched([1], 0))


def test_a_run_longer_than_a_batch_chains_after_the_previous_chunk() -> None:
    """Jira ranks at most 50 issues a call: a moved run of 120 becomes 50 + 50 + 20, each placed after the
    last issue of the chunk before it."""
    current = [f"i{n}" for n in range(200)]
    desired = current[80:200] + current[:80]  # the first 80 move below the rest: a run of 80 moves
    moves = minimal_moves(current, desired, 50)
    assert [len(m.items) for m in moves] == [50, 30]
    assert moves[1].after == moves[0].items[-1]
