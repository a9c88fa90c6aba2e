"""Configuration of one Linear connection (``[connections.<name>]`` with ``type = "linear"``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.base import ConnectionConfig

MAX_PAGE_SIZE = 200  # the issues selection costs ~48 points per issue: 200 stay under 10,000 per query


class LinearConfig(ConnectionConfig):
    """A Linear workspace reached through its GraphQL API with a personal API key."""

    type: Literal["linear"] = "linear"
    url: str = Field("https://api.linear.app/graphql", description="the GraphQL endpoint (or its base)")
    api_key: SecretStr = Field(description="personal API key, sent as `Authorization: <key>` (no Bearer)")
    teams: list[str] = Field(default_factory=list, description="team keys to read and rank; empty: all")
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE, description="issues per request")
    small_page_size: int = Field(50, ge=1, le=250, description="page size of teams, projects, cycles…")
    index_lag: float = Field(
        1.0, gt=0, description="seconds within which an edit is surely visible (cursor margin, re-read)"
    )
    rank_spacing: float = Field(1.0, gt=0, description="sortOrder step used above the top/below the bottom")
    priority_by_rank: list[float] = Field(
        default_factory=list,
        max_length=3,
        description="write Linear's priority from each issue's rank among this connection's ranked issues: "
        "the shares that get 1 urgent, 2 high and 3 medium, each a fraction (< 1) of the issues or a count "
        "(>= 1); the rest get 4 low. Empty (the default): priority is a person's field, never written",
    )
    report_attachment: str | None = Field(
        None,
        description="title of the attachment that links each issue to its page in the HTML report (with "
        "[report] report_url); unset (the default): no link is written",
    )
    rank_snapshot_ttl: float = Field(60.0, ge=0, description="seconds a read of a team's order is reused")

    @model_validator(mode="before")
    @classmethod
    def _no_score_bands(cls, data: Any) -> Any:
        if isinstance(data, dict) and "priority_bands" in data:
            raise ValueError(
                "priority_bands is gone: thresholds on the score's scale gave nearly every issue one "
                "priority; use priority_by_rank = [0.05, 0.15, 0.30] (shares of the ranked issues)"
            )
        return data

    @field_validator("priority_by_rank")
    @classmethod
    def _shares(cls, value: list[float]) -> list[float]:
        for share in value:
            if share < 0 or (share >= 1 and share != int(share)):
                raise ValueError(f"{share!r} is neither a fraction (0 to < 1) nor a whole count")
        if sum(s for s in value if s < 1) > 1:
            raise ValueError("the fractions add up to more than the whole")
        return value

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/graphql") else base + "/graphql"
