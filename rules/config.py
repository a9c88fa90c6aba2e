"""Rule sections of the config file: ``[scoring]``, ``[[scoring.adjust]]``, ``[[roadmap.themes]]``,
``[[status.rules]]``. Expressions are checked against the vocabulary when the engine compiles them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Adjustment(_Frozen):
    """A boost, penalty, pin or exclusion applied when ``when`` is true."""

    name: str
    when: str
    multiply: float | None = None
    add: float | None = None
    pin: Literal["top", "bottom"] | None = None
    exclude: bool = False


class ScoringConfig(_Frozen):
    framework: Literal["rice", "ice", "wsjf", "custom"] = "rice"
    inputs: dict[str, str] = Field(default_factory=dict, description="input name -> expression")
    defaults: dict[str, float] = Field(default_factory=dict, description="input name -> fallback value")
    formula: str | None = Field(None, description="the score expression for framework = custom")
    imputed_penalty: float = Field(0.8, gt=0, le=1, description="confidence factor per imputed input")
    adjust: list[Adjustment] = Field(default_factory=list)


class Theme(_Frozen):
    name: str
    match: str
    weight: float = Field(1.0, ge=0)
    objective: str | None = None


class RoadmapConfig(_Frozen):
    themes: list[Theme] = Field(default_factory=list)


class StatusRule(_Frozen):
    name: str
    when: str
    set_category: Literal["triage", "backlog", "todo", "in_progress", "done", "canceled"] | None = None
    comment: str | None = None
    tag: str | None = None


class StatusConfig(_Frozen):
    rules: list[StatusRule] = Field(default_factory=list)
