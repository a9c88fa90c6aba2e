"""Link resolution scoped to the connection the evidence names, over a real store file."""

from __future__ import annotations

from pathlib import Path

from sync.model import Item, Link, Records
from sync.references import resolve_links, url_parts
from sync.store import Store
from tests.builders import item as build


def item(connection: str, source: str, n: int, key: str, url: str | None = None, **extra: object) -> Item:
    return build(n, connection, source=source, key=key, url=url, title="t", status="open", **extra)


def targets(store: Store) -> dict[str, str | None]:
    return {f"{link.src_uid} {link.dst_ref}": link.dst_uid for link in store.links()}


def test_each_reference_resolves_within_the_connection_it_names(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    ticket = item("zd", "zendesk", 1, "#1", kind="feedback")
    refs = [
        "service:jira:ENG-1",  # Zendesk's Jira integration: Jira only
        "key:ENG-1",  # a bare key Jira and Linear share: ambiguous
        "key:ENG-2",  # only Linear has ENG-2 (so far)
        "url:https://linear.app/acme/issue/ENG-1/old-slug",  # the Linear issue, whatever its slug now
        "url:https://jira.example.com/browse/ENG-1?focusedCommentId=3",  # the Jira issue
        "native:jira:10",
    ]
    links = [Link("zd:1", "requests", "text", dst_ref=ref) for ref in refs]
    store.write_page("zd", "tickets", Records(items=[ticket], links=links), [], None)
    linear = [
        item("lin", "linear", 1, "ENG-1", "https://linear.app/acme/issue/ENG-1/new-slug"),
        item("lin", "linear", 2, "ENG-2", "https://linear.app/acme/issue/ENG-2/x"),
    ]
    store.write_page("lin", "issues", Records(items=linear), [], None)
    resolve_links(store)
    # pulled first, Linear takes nothing meant for Jira, and the only ENG-2 is Linear's
    assert targets(store) == {
        "zd:1 service:jira:ENG-1": None,
        "zd:1 key:ENG-1": "lin:1",
        "zd:1 key:ENG-2": "lin:2",
        "zd:1 url:https://linear.app/acme/issue/ENG-1/old-slug": "lin:1",
        "zd:1 url:https://jira.example.com/browse/ENG-1?focusedCommentId=3": None,
        "zd:1 native:jira:10": None,
    }
    jira = [item("jira", "jira", 10, "ENG-1", "https://jira.example.com/browse/ENG-1")]
    store.write_page("jira", "issues", Records(items=jira), [], None)
    result = resolve_links(store)
    assert targets(store) == {
        "zd:1 service:jira:ENG-1": "jira:10",
        "zd:1 key:ENG-1": None,  # now two trackers have it: unlinked, reported
        "zd:1 key:ENG-2": "lin:2",
        "zd:1 url:https://linear.app/acme/issue/ENG-1/old-slug": "lin:1",
        "zd:1 url:https://jira.example.com/browse/ENG-1?focusedCommentId=3": "jira:10",
        "zd:1 native:jira:10": "jira:10",
    }
    assert result.ambiguous == [
        {"from": "zd:1", "mention": "ENG-1", "candidates": ["jira:ENG-1", "lin:ENG-1"]}
    ]
    store.close()


def test_a_trackers_own_key_wins_for_its_own_text(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    issues = [
        item("jira", "jira", 1, "ENG-1"),
        item("jira", "jira", 2, "ENG-2"),
        item("lin", "linear", 2, "ENG-2"),
    ]
    links = [Link("jira:1", "relates", "text", dst_ref="key:ENG-2")]
    store.write_page("all", "items", Records(items=issues, links=links), [], None)
    assert resolve_links(store).ambiguous == []
    assert targets(store) == {"jira:1 key:ENG-2": "jira:2"}
    store.close()


def test_url_parts() -> None:
    assert url_parts("https://x.atlassian.net/jira/browse/ENG-4#c") == (
        "https://x.atlassian.net/jira",
        "ENG-4",
    )
    assert url_parts("https://linear.app/acme/issue/ENG-4/a-slug") == ("https://linear.app/acme", "ENG-4")
    assert url_parts("https://github.com/acme/app/issues/5") == ("https://github.com", "acme/app#5")
    assert url_parts("https://example.com/about") is None
