"""Configuration of one Linear connection (``[connections.<name>]`` with ``type = "linear"``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from connectors.base import ConnectionConfig

MAX_PAGE_SIZE = 200  # the issues selection costs ~46 points per issue: 200 stay under 10,000 per query


class LinearConfig(ConnectionConfig):
    """A Linear workspace reached through its GraphQL API with a personal API key."""

    type: Literal["linear"] = "linear"
    url: str = Field("https://api.linear.app/graphql", description="the GraphQL endpoint (or its base)")
    api_key: SecretStr = Field(description="personal API key, sent as `Authorization: <key>` (no Bearer)")
    teams: list[str] = Field(default_factory=list, description="team keys to read and rank; empty: all")
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE, description="issues per request")
    small_page_size: int = Field(50, ge=1, le=250, description="page size of teams, projects, cycles…")
    overlap_ms: int = Field(1000, ge=1, description="re-read this much before the cursor (gt is open)")
    rank_spacing: float = Field(1.0, gt=0, description="sortOrder step used above the top/below the bottom")
    priority_bands: list[float] = Field(
        default_factory=list,
        max_length=3,
        description="descending score thresholds: score >= bands[0] → 1 urgent, >= bands[1] → 2 high, "
        ">= bands[2] → 3 medium, else 4 low; empty: priority is not written",
    )
    rank_snapshot_ttl: float = Field(60.0, ge=0, description="seconds a read of a team's order is reused")

    def priority_for(self, score: float) -> int:
        """Linear priority (1 urgent … 4 low) of a score under ``priority_bands``."""
        for level, threshold in enumerate(self.priority_bands, start=1):
            if score >= threshold:
                return level
        return len(self.priority_bands) + 1 if len(self.priority_bands) < 4 else 4

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/graphql") else base + "/graphql"
