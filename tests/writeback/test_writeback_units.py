"""The pure parts of write-back: detecting a person's moves, moving around pinned items, mirror markers."""

from __future__ import annotations

from sync.linking import by_reference, marker_pattern
from sync.model import Item
from sync.plan.moves import minimal_moves
from sync.plan.positions import apply_move, moved_by_hand
from tests.builders import item as build


def replay(current: list[str], moves: list[tuple[list[str], str | None, str | None]]) -> list[str]:
    for items, after, before in moves:
        current = apply_move(current, items, after, before)
    return current


def test_apply_move_places_items_after_or_before_an_anchor() -> None:
    assert apply_move(list("abcd"), ["d"], "a", None) == list("adbc")
    assert apply_move(list("abcd"), ["a"], None, "d") == list("bcad")
    assert apply_move(list("abcd"), ["c"], None, None) == list("cabd")


def test_a_person_s_move_is_the_item_outside_the_common_order() -> None:
    expected = list("abcdef")
    assert moved_by_hand(expected, list("abdecf"), unchanged=set("abdef")) == ["c"]
    # Two neighbours swapped: either could have moved; the one whose native rank changed did.
    assert moved_by_hand(expected, list("bacdef"), unchanged=set("bcdef")) == ["a"]
    assert moved_by_hand(expected, list("bacdef"), unchanged=set("acdef")) == ["b"]
    assert moved_by_hand(expected, list("abxcdef"), unchanged=set()) == []  # new items are not moves
    assert moved_by_hand(expected, list("bacdef"), unchanged=set(), skip={"a", "b"}) == []


def test_pinned_items_never_move_and_the_rest_follow_the_desired_order() -> None:
    current, desired = list("abcdef"), list("fedcba")
    moves = minimal_moves(current, desired, 1, pinned={"c"})
    assert all("c" not in m.items for m in moves)
    result = replay(current, [(m.items, m.after, m.before) for m in moves])
    assert [i for i in result if i != "c"] == [i for i in desired if i != "c"]
    assert minimal_moves(current, desired, 50) == minimal_moves(current, desired, 50, pinned=())


def item(uid: str, key: str, url: str, body: str = "") -> Item:
    connection, n = uid.split(":")
    return build(n, connection, source=connection, native_id=uid, key=key, url=url, body=body, title="t")


def test_mirror_markers_name_one_item_of_another_tracker() -> None:
    jira = item("jira:1", "ENG-1", "https://jira/browse/ENG-1")
    linear = item("linear:1", "ENG-1", "https://linear.app/x/issue/ENG-1")
    gh = item(
        "github:1",
        "acme/app#1",
        "https://github.com/acme/app/issues/1",
        "Mirror of https://jira/browse/ENG-1.",
    )
    lin = item("linear:2", "DES-2", "https://linear.app/x/issue/DES-2", "mirrors: acme/app#1")
    ambiguous = item("github:2", "acme/app#2", "https://github.com/acme/app/issues/2", "Mirror of ENG-1")
    unmarked = item("github:3", "acme/app#3", "https://github.com/acme/app/issues/3", "See ENG-1")
    pairs = by_reference([jira, linear, gh, lin, ambiguous, unmarked], ["mirror of", "mirrors"])
    assert sorted(pairs) == [("github:1", "jira:1"), ("linear:2", "github:1")]
    assert marker_pattern(["mirror of"]).search("MIRROR   OF ENG-12")
