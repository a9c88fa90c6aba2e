"""Feedback → issue links end to end: a sandbox of Jira, GitHub, Linear and Zendesk, every connection pulled
into one store, references resolved, and the result counted against the Zendesk generator's ground truth."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.registry import build, service_types
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.config import parse
from sync.pull.streams import pull_connection
from sync.references import resolve_links
from sync.store import Store

SERVICES = service_types()


def test_tickets_link_to_the_issues_they_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Sandbox.start(SERVICES, items=60, seed=7)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    store = Store(tmp_path / "store.db")
    try:
        config = parse(box.config(tmp_path / "store.db"))
        started = datetime.now(UTC)
        for name, section in config.connections.items():
            connector = build(name, section)
            try:
                reports = pull_connection(store, connector, started)
            finally:
                connector.close()
            assert not [r for r in reports if r.error], reports
        resolve_links(store)
        truth = box.state("zendesk")["expected_links"]
        items = {(i.connection, i.key): i.uid for i in store.items()}
        resolved: dict[str, set[str]] = defaultdict(set)
        for link in store.links():
            if link.type == "requests" and link.src_uid.startswith("zendesk:") and link.dst_uid:
                resolved[link.src_uid].add(link.dst_uid)
        found = {"explicit": [0, 0], "text": [0, 0]}
        expected_pairs = set()
        for entry in truth:
            target = items.get((entry["service"], entry["key"]))
            assert target is not None, f"{entry['service']} {entry['key']} was not pulled"
            source = f"zendesk:{entry['ticket']}"
            expected_pairs.add((source, target))
            kind = "explicit" if entry["explicit"] else "text"
            found[kind][1] += 1
            found[kind][0] += target in resolved[source]
        wrong = {(s, d) for s, targets in resolved.items() for d in targets} - expected_pairs
        explicit, text = found["explicit"], found["text"]
        print(
            f"\nexplicit links {explicit[0]}/{explicit[1]}, text mentions {text[0]}/{text[1]}, "
            f"links to issues no ticket referenced: {len(wrong)}"
        )
        assert explicit[1] > 10 and text[1] > 10
        assert explicit[0] == explicit[1]
        assert text[0] >= 0.95 * text[1]
    finally:
        store.close()
        box.stop()
