from __future__ import annotations

import json

from sync.store.echo import is_echo

OLD = {
    "uid": "j:1",
    "title": "A",
    "native_rank": "0|a",
    "fields": json.dumps({"score": 1.0}),
    "status": "To Do",
    "status_category": "todo",
    "updated_at": "2026-01-01",
    "pulled_at": "2026-01-02T00:00:00Z",
}


def changed(**values: object) -> dict[str, object]:
    return {**OLD, "updated_at": "2026-01-03", **values}


def test_our_own_score_and_rank_writes_are_echoes() -> None:
    pushed = {"score": (2.5, "2026-01-02T01:00:00Z"), "rank_after": ("9", "2026-01-02T01:00:00Z")}
    assert is_echo(OLD, changed(fields=json.dumps({"score": 2.5}), native_rank="0|b"), pushed)


def test_a_person_changing_anything_else_is_not_an_echo() -> None:
    pushed = {"score": (2.5, "2026-01-02T01:00:00Z")}
    assert not is_echo(OLD, changed(fields=json.dumps({"score": 2.5}), title="B"), pushed)
    assert not is_echo(OLD, changed(fields=json.dumps({"score": 7.0})), pushed)
    assert not is_echo(OLD, changed(native_rank="0|c"), pushed)


def test_writes_older_than_our_last_read_do_not_explain_a_change() -> None:
    pushed = {"rank_after": ("9", "2026-01-01T00:00:00Z")}
    assert not is_echo(OLD, changed(native_rank="0|z"), pushed)
