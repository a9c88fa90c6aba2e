"""Jira fields by name: ``score_field = "Priority score"`` works as well as ``customfield_10050``.

Jira's REST API takes field ids only, so a configured name is resolved through ``GET /field`` (the field
catalogue) before the first pull or write, on the read side and the write side alike; so is the Rank field
when ``rank_field`` is left out (found by its type, ``gh-lexo-rank``). A config that names every field by
its ``customfield_N`` id and gives ``rank_field`` sends no catalogue request at all.

``doctor`` goes further for the score field, the one we write: it must exist, be a number field, and be on
the issues' edit screen (``GET …/issue/{key}/editmeta``), or every write of it would fail with 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors.errors import FatalError
from connectors.jira.config import JiraConfig

CUSTOM_ID = re.compile(r"customfield_\d+")
RANK_FIELD_TYPE = "com.pyxis.greenhopper.jira:gh-lexo-rank"
JsonObject = dict[str, Any]


def needs_catalogue(config: JiraConfig) -> bool:
    """Whether a configured field is given by name, or the Rank field is not given."""
    named = [config.score_field, config.estimate_field, *config.fields.values()]
    return config.rank_field is None or any(n and not CUSTOM_ID.fullmatch(n) for n in named)


def field_id(catalogue: list[JsonObject], wanted: str, setting: str) -> str:
    """The id of the field ``wanted`` names: an id as it is, else a field of that name (any case)."""
    if any(str(f.get("id")) == wanted for f in catalogue):
        return wanted
    named = [f for f in catalogue if str(f.get("name", "")).casefold() == wanted.casefold()]
    if len(named) == 1:
        return str(named[0]["id"])
    if not named:
        raise FatalError(f"{setting} = {wanted!r}: Jira has no field of that name or id (see GET /field)")
    ids = ", ".join(str(f.get("id")) for f in named)
    raise FatalError(f"{setting} = {wanted!r}: several Jira fields have that name ({ids}); give the id")


def rank_field(catalogue: list[JsonObject]) -> str:
    """The Rank field's id, found by its type (the one named Rank when there are several)."""
    ranks = [f for f in catalogue if (f.get("schema") or {}).get("custom") == RANK_FIELD_TYPE]
    if not ranks:
        raise FatalError("no Rank field (gh-lexo-rank) on this Jira; set rank_field in the config")
    return str(next((f for f in ranks if f.get("name") == "Rank"), ranks[0])["id"])


def resolved(config: JiraConfig, catalogue: list[JsonObject]) -> JiraConfig:
    """``config`` with every field given by its id."""
    update: dict[str, Any] = {
        "fields": {name: field_id(catalogue, f, f"fields.{name}") for name, f in config.fields.items()},
        "rank_field": config.rank_field or rank_field(catalogue),
    }
    for setting in ("score_field", "estimate_field"):
        value = getattr(config, setting)
        if value:
            update[setting] = field_id(catalogue, value, setting)
    return config.model_copy(update=update)


def score_field_problems(
    name: str, field: str, catalogue: list[JsonObject], edit_screen: Mapping[str, Any], issue: str
) -> list[str]:
    """Why the score field ``name`` (resolved to ``field``) cannot take our writes, if it cannot."""
    entry = next((f for f in catalogue if str(f.get("id")) == field), None)
    if entry is None:
        return [f"score_field {name!r}: no such field"]
    problems = []
    kind = (entry.get("schema") or {}).get("type")
    if kind != "number":
        problems.append(f"score_field {name!r} ({field}) is a {kind} field, not a number field")
    if field not in edit_screen:
        problems.append(
            f"score_field {name!r} ({field}) cannot be written: it is not on the edit screen of {issue}"
        )
    return problems
