"""Config fuzz: whatever TOML-shaped data a person writes, ``sync.config.parse`` gives a Config or a
ConfigError whose every line names the section and key, never another exception."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.config import Config, ConfigError, parse

VALID: dict[str, Any] = {
    "store": {"path": "store.db"},
    "connections": {
        "jira": {
            "type": "jira",
            "url": "https://acme.atlassian.net",
            "email": "pm@acme.com",
            "token": "t",
            "jql": "project = ENG",
            "policy": {"attempts": 3, "timeout": 5},
        },
        "github": {"type": "github", "url": "https://api.github.com", "token": "t", "repos": ["acme/app"]},
        "linear": {"type": "linear", "url": "https://api.linear.app", "api_key": "k", "teams": ["ENG"]},
        "zendesk": {"type": "zendesk", "url": "https://acme.zendesk.com", "email": "a@b.c", "token": "t"},
    },
    "scoring": {"framework": "rice", "inputs": {"effort": "estimate if estimate else None"}},
    "roadmap": {"themes": [{"name": "Enterprise", "match": "'enterprise' in labels", "weight": 1.2}]},
    "status": {"rules": [{"name": "close", "when": "'x' in labels", "set_category": "done"}]},
    "daemon": {"port": 8787},
}
KNOWN_KEYS = (
    "store",
    "connections",
    "scoring",
    "roadmap",
    "status",
    "capacity",
    "daemon",
    "type",
    "url",
    "token",
    "policy",
    "attempts",
    "timeout",
    "framework",
    "inputs",
    "defaults",
    "adjust",
    "themes",
    "rules",
    "when",
    "name",
    "weight",
    "port",
    "host",
    "jira",
    "github",
    "linear",
    "zendesk",
    "repos",
    "teams",
    "fields",
    "status_map",
    "interval",
    "formula",
    "set_category",
    "comment",
    "pin",
    "exclude",
    "multiply",
    "match",
    "links",
)
KEYS = st.sampled_from(KNOWN_KEYS) | st.text(min_size=0, max_size=12)
SCALARS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["${NOT_SET_ANYWHERE}", "jira", "rice", "done", "1 +", "__import__('os')", "labels", ""]),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True),
    st.booleans(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.dates(),
    st.times(),
)
TOML = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def check(raw: Any) -> None:
    try:
        config = parse(raw, "fuzz.toml")
    except ConfigError as exc:
        lines = str(exc).replace("invalid config:", "").strip().splitlines()
        assert lines, exc
        for line in lines:
            assert line.strip().startswith("fuzz.toml [") and "]" in line, str(exc)
        return
    assert isinstance(config, Config)


@settings(max_examples=150, deadline=None)
@given(raw=st.dictionaries(KEYS, TOML, max_size=6))
def test_random_documents(raw: dict[str, Any]) -> None:
    check(raw)


@st.composite
def mutated_valid(draw: st.DrawFn) -> dict[str, Any]:
    """The valid config with one to four values replaced or removed somewhere inside it."""
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        node: Any = doc
        while True:
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            if isinstance(node, dict) and draw(st.integers(0, 3)) == 0:
                del node[key]
            elif isinstance(node, dict) and draw(st.integers(0, 3)) == 0:
                node[draw(KEYS)] = draw(TOML)
            else:
                node[key] = draw(TOML)
            break
    return doc


@settings(max_examples=250, deadline=None)
@given(raw=mutated_valid())
def test_mutated_valid_documents(raw: dict[str, Any]) -> None:
    check(raw)


def test_the_valid_document_parses() -> None:
    assert isinstance(parse(copy.deepcopy(VALID), "fuzz.toml"), Config)
