"""Link resolution after a pull: every reference resolved again against everything stored (what keeps the
links independent of pull order), on a store of four trackers of ``items`` each, Jira and Linear sharing
their keys (ENG-n), Zendesk tickets naming issues by URL, GitHub key, Jira integration link and, for one in
five, a bare key both trackers have (ambiguous). Figure: seconds per resolution, best of three."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.model import Item, Link, Records
from sync.references import resolve_links
from sync.store import Store


def _item(connection: str, n: int, key: str, url: str | None, kind: str = "issue") -> Item:
    return Item(
        uid=f"{connection}:{n}",
        connection=connection,
        source=connection,
        native_id=str(n),
        key=key,
        kind=kind,
        title="t",
        status="open",
        status_category="todo",
        updated_at="2026-10-01T00:00:00Z",
        url=url,
    )


def _world(store: Store, items: int) -> int:
    urls = {
        "jira": ("ENG-{n}", "https://acme.atlassian.net/browse/ENG-{n}"),
        "linear": ("ENG-{n}", "https://linear.app/acme/issue/ENG-{n}/slug"),
        "github": ("acme/app#{n}", "https://github.com/acme/app/issues/{n}"),
    }
    trackers = {
        name: [_item(name, n, key.format(n=n), url.format(n=n)) for n in range(items)]
        for name, (key, url) in urls.items()
    }
    for name, records in trackers.items():
        store.write_page(name, "issues", Records(items=records), [], None)
    tickets = [_item("zendesk", n, f"#{n}", None, "feedback") for n in range(items)]
    links = []
    for n in range(items):
        links.append(
            Link(f"zendesk:{n}", "requests", "text", dst_ref=f"url:https://acme.atlassian.net/browse/ENG-{n}")
        )
        links.append(Link(f"zendesk:{n}", "requests", "text", dst_ref=f"key:acme/app#{n}"))
        links.append(Link(f"zendesk:{n}", "requests", "api", dst_ref=f"service:jira:ENG-{n}"))
        if n % 5 == 0:
            links.append(Link(f"zendesk:{n}", "requests", "text", dst_ref=f"key:ENG-{n}"))
    store.write_page("zendesk", "tickets", Records(items=tickets, links=links), [], None)
    return len(links)


def run(items: int, folder: Path, say: Callable[[str], None]) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "links.db")
    logging.getLogger("sync.references").setLevel(logging.ERROR)  # the ambiguous mentions are expected
    try:
        links = _world(store, items)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            result = resolve_links(store)
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    figures = {
        "items": items * 4,
        "links": links,
        "seconds": round(min(times), 3),
        "linked": result.linked,
        "ambiguous": len(result.ambiguous),
    }
    say(f"[linking] {links:,} links over {items * 4:,} items resolved in {figures['seconds']}s")
    return figures


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rankbridge-bench-") as tmp:
        print(json.dumps(run(25_000, Path(tmp), lambda line: sys.stderr.write(line + "\n"))))
