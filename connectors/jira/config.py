"""Configuration of a Jira connection (one ``[connections.<name>]`` table with ``type = "jira"``)."""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.base import ConnectionConfig

DEFAULT_CANCELED_RESOLUTIONS = ("Won't Do", "Duplicate", "Cannot Reproduce", "Won't Fix")
# Both of Jira's default schemes: today's names and the classic ones many company-managed and Data Center
# sites still use (Blocker … Trivial), each to our 1 urgent … 4 low; priority_levels replaces the map.
DEFAULT_PRIORITY_LEVELS = {
    "Highest": 1, "High": 2, "Medium": 3, "Low": 4, "Lowest": 4,
    "Blocker": 1, "Critical": 2, "Major": 3, "Minor": 4, "Trivial": 4,
}  # fmt: skip


class JiraConfig(ConnectionConfig):
    """Jira Cloud (REST v3, basic auth with email + API token) or Data Center (REST v2, bearer PAT).

    ``deployment`` is configured rather than discovered, so that building the connector and pulling send
    no ``serverInfo`` request. Fields (``score_field``, ``estimate_field``, ``fields``) may be given by id
    (``customfield_10050``) or by name (``"Priority score"``); names, and the Rank field when ``rank_field``
    is left out, are resolved once through ``GET /field`` before the first pull or write
    (:mod:`connectors.jira.fields`).
    """

    type: Literal["jira"]
    email: str | None = Field(None, description="Cloud: the account's email (basic auth user)")
    token: SecretStr = Field(description="Cloud: API token; Data Center: personal access token")
    deployment: Literal["cloud", "datacenter"] = "cloud"
    jql: str = Field(
        min_length=1, description="which issues this connection reads, e.g. project in (ENG, OPS)"
    )
    scope: str = Field("jql", min_length=1, description="name of the one rank scope (the JQL's order)")
    max_results: int = Field(100, ge=1, le=5000, description="issues per search page")
    timezone: str | None = Field(
        None,
        description="the API user's profile time zone; leave it out: it is read from Jira (GET myself), "
        "and when given, a pull or doctor refuses a zone that differs from Jira's",
    )
    index_lag: float = Field(
        60.0, ge=0, description="seconds within which an edit is surely visible to search (cursor margin)"
    )
    rank_field: str | None = Field(None, description="the Rank field (gh-lexo-rank), e.g. customfield_10019")
    estimate_field: str | None = Field(None, description="story points field, e.g. customfield_10016")
    epic_link_field: str | None = Field(
        None,
        description="the Epic Link field of company-managed and Data Center projects; leave it out: the "
        "first pull finds it through GET field by its type (com.pyxis.greenhopper.jira:gh-epic-link)",
    )
    canceled_resolutions: list[str] = Field(default_factory=lambda: list(DEFAULT_CANCELED_RESOLUTIONS))
    canceled_status: str = Field("Won't Do", description="status a 'canceled' status write transitions to")
    priority_levels: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PRIORITY_LEVELS))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("jql")
    @classmethod
    def _no_order_by(cls, value: str) -> str:
        if re.search(r"\border\s+by\b", value, re.IGNORECASE):
            raise ValueError("jql must not contain ORDER BY: the connector adds its own ordering")
        return value

    @field_validator("rank_field", "epic_link_field")
    @classmethod
    def _custom_field_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"customfield_\d+", value):
            raise ValueError(f"expected a custom field id like customfield_10019, got {value!r}")
        return value

    @model_validator(mode="after")
    def _cloud_needs_email(self) -> JiraConfig:
        if self.deployment == "cloud" and not self.email:
            raise ValueError("email is required when deployment = 'cloud' (basic auth: email + API token)")
        return self

    @property
    def api_version(self) -> str:
        """REST version of the platform API: 3 on Cloud (ADF descriptions), 2 on Data Center."""
        return "3" if self.deployment == "cloud" else "2"

    @property
    def rank_field_number(self) -> int | None:
        """The configured Rank field's numeric id (``customfield_10019`` -> 10019), if any."""
        if self.rank_field is None:
            return None
        return int(self.rank_field.removeprefix("customfield_"))
