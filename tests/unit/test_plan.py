from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.plan.moves import Move, longest_increasing_subsequence, minimal_moves, naive_moves


def apply(current: list[str], moves: list[Move]) -> list[str]:
    order = list(current)
    for items, after, before in moves:
        for item in items:
            order.remove(item)
        position = order.index(after) + 1 if after is not None else order.index(before) if before else 0
        order[position:position] = items
    return order


@settings(max_examples=300, deadline=None)
@given(st.permutations([str(i) for i in range(25)]), st.sampled_from([1, 3, 50]))
def test_moves_turn_current_into_desired(desired: list[str], batch: int) -> None:
    current = [str(i) for i in range(25)]
    moves = minimal_moves(current, desired, batch)
    assert apply(current, moves) == desired
    assert all(len(m.items) <= batch for m in moves)


@settings(max_examples=200, deadline=None)
@given(st.permutations(list(range(30))))
def test_single_moves_are_n_minus_lis(values: list[int]) -> None:
    current = [str(v) for v in range(30)]
    desired = [str(v) for v in values]
    lis = len(longest_increasing_subsequence(values))
    moves = minimal_moves(current, desired, 1)
    assert len(moves) == 30 - lis


def test_unchanged_order_needs_no_moves() -> None:
    ids = [f"ENG-{n}" for n in range(100)]
    assert minimal_moves(ids, ids, 50) == []


def test_one_item_to_the_top_is_one_move_before_the_old_first() -> None:
    assert minimal_moves(["a", "b", "c", "d"], ["d", "a", "b", "c"], 50) == [Move(["d"], None, "a")]


def test_adjacent_moved_items_share_one_batched_call() -> None:
    current = [str(i) for i in range(10)]
    desired = ["7", "8", "9", *[str(i) for i in range(7)]]
    assert minimal_moves(current, desired, 50) == [Move(["7", "8", "9"], None, "0")]
    assert len(minimal_moves(current, desired, 1)) == 3


def test_runs_longer_than_the_batch_are_chained() -> None:
    current = [str(i) for i in range(120)]
    desired = current[100:] + current[:100]
    moves = minimal_moves(current, desired, 8)
    assert [len(m.items) for m in moves] == [8, 8, 4]
    assert moves[1].after == moves[0].items[-1]


def test_ids_missing_from_either_list_are_left_alone() -> None:
    assert minimal_moves(["a", "b", "x"], ["b", "a", "y"], 1) == [Move(["a"], "b", None)]


def test_naive_counts_every_position_that_differs() -> None:
    assert naive_moves(["a", "b", "c"], ["c", "a", "b"]) == 3


def test_unplaced_items_always_get_a_move_to_their_place() -> None:
    """An issue not yet on a board sorts last; even where that happens to be its place, it gets a move, so
    the push that adds it to the board also puts it there (not wherever the board appends it)."""
    current = ["a", "b", "c", "x", "y"]
    desired = ["a", "x", "b", "c", "y"]
    moves = minimal_moves(current, desired, unplaced={"x", "y"})
    assert [(m.items, m.after) for m in moves] == [(["x"], "a"), (["y"], "c")]
    assert minimal_moves(current, desired) == [Move(["x"], "a", None)]
