"""Locating and loading the official API descriptions, and matching concrete paths to path templates.

Part of the spec-conformance helpers; import them from ``tests.specs``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def specs_dir() -> Path:
    """The specs folder as configured right now (the environment may change between tests)."""
    configured = os.environ.get("RANKBRIDGE_SPECS")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "apispecs"


SPECS_DIR: Path = specs_dir()  # as configured at import; spec_path() reads the environment on every call


# --- locating and loading --------------------------------------------------------------------------------
def spec_path(*parts: str) -> Path:
    """Path of a file (or folder) under the specs folder; skip (or fail under REQUIRE) when absent."""
    base = specs_dir()
    path = base.joinpath(*parts)
    if not path.exists():
        missing = base if not base.is_dir() else path
        message = f"official API specs not found at {missing}: put ../shared/apispecs beside the checkout"
        if os.environ.get("RANKBRIDGE_REQUIRE_SPECS") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


class _SpecLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that also accepts Zendesk's bare ``=`` scalar (YAML 1.1 'value' tag) as a string."""


_SpecLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.cache
def load_spec(path: Path) -> Any:
    """Parse a JSON or YAML file once per process."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        return yaml.load(text, Loader=_SpecLoader)
    return json.loads(text)


# --- REST endpoint index -----------------------------------------------------------------------------------
def _template_regex(template: str) -> re.Pattern[str]:
    """``{param}`` matches one path segment (or the part of one, as in GitHub's ``{base}...{head}``)."""
    pieces = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces) + "$")


def _specificity(template: str) -> tuple[int, int]:
    """Sort key preferring literal segments: ``/tickets/show_many`` beats ``/tickets/{ticket_id}``."""
    return (template.count("{"), -len(re.sub(r"\{[^/{}]+\}", "", template)))


@functools.cache
def _compiled(templates: tuple[str, ...]) -> list[tuple[re.Pattern[str], str]]:
    ordered = sorted(set(templates), key=_specificity)
    return [(_template_regex(t), t) for t in ordered]


def _match_template(templates: Iterable[str], concrete: str) -> str | None:
    for pattern, template in _compiled(tuple(templates)):
        if pattern.match(concrete):
            return template
    return None


def path_variants(service: str, path: str) -> list[str]:
    """The concrete path and its documented aliases (Jira v2 mirrors v3; Zendesk accepts ``.json``)."""
    variants = [path]
    if service == "jira" and path.startswith("/rest/api/2/"):
        variants.append("/rest/api/3/" + path.removeprefix("/rest/api/2/"))
    if service == "zendesk" and path.endswith(".json"):
        variants.append(path.removesuffix(".json"))
    return variants


def best_template(service: str, templates: Iterable[str], path: str) -> str | None:
    """The most specific template matching the path or one of its aliases (literal segments win)."""
    candidates = tuple(templates)
    found = [t for v in path_variants(service, path) if (t := _match_template(candidates, v)) is not None]
    return min(found, key=_specificity) if found else None
