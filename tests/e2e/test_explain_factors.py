"""Explanations add up: on the sandbox's world, where many items lack estimates, priorities or requests,
the factors ``explain --json`` prints multiply to the score, for every framework."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from rules.explain import fold
from sandbox.launcher import TOKEN_ENV, Sandbox

THEMES = {"roadmap": {"themes": [{"name": "Trust", "match": "'security' in labels", "weight": 1.25}]}}
ADJUST = [{"name": "bugs first", "when": "'bug' in labels", "multiply": 1.5}]
FRAMEWORKS: dict[str, dict[str, Any]] = {
    "rice": {"framework": "rice"},
    "ice": {"framework": "ice"},
    "wsjf": {"framework": "wsjf"},
    "custom": {
        "framework": "custom",
        "inputs": {"value": "feedback_arr / 1000 if feedback_arr else None", "size": "estimate"},
        "defaults": {"value": 1, "size": 5},
        "formula": "value / max(1, size)",
    },
}


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "github", "linear", "zendesk"], items=25, seed=11)
    yield sandbox
    sandbox.stop()


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_printed_factors_multiply_to_the_score_for_every_framework(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    store = tmp_path / "store.db"
    pulled = False
    for name, scoring in FRAMEWORKS.items():
        rules = {"scoring": {**scoring, "adjust": ADJUST}, **THEMES}
        config = box.write_config(tmp_path / f"{name}.toml", store, rules)
        if not pulled:
            assert CliRunner().invoke(main, ["--config", str(config), "pull"]).exit_code == 0
            pulled = True
        rows = cli(config, "rank", "--json", "--limit", "0")["ranking"]
        imputed = [r for r in rows if any(i["imputed"] for i in r["components"]["inputs"].values())]
        assert len(imputed) >= 3, f"{name}: the sandbox world should lack data for some items"
        for row in [*imputed[:4], rows[0]]:
            shown = cli(config, "explain", row["ref"], "--json")
            factors = shown["components"]["factors"]
            assert all(f["op"] in ("×", "÷") for f in factors)
            product = math.prod(f["value"] ** (-1 if f["op"] == "÷" else 1) for f in factors)
            assert product == pytest.approx(shown["score"], rel=1e-6, abs=1e-6), (name, row["ref"], factors)
            penalties = [f for f in factors if f["name"] == "imputation penalty"]
            names = [n for n, i in shown["components"]["inputs"].items() if i["imputed"]]
            if names:
                assert len(penalties) == 1 and penalties[0]["imputed"] == names
        if name == "wsjf":  # no confidence in WSJF, so none in its words
            text = CliRunner().invoke(main, ["--config", str(config), "explain", imputed[0]["ref"]]).output
            assert "confidence" not in text and "imputation penalty" in text
        for row in rows:
            assert fold(row["components"]["factors"]) == pytest.approx(row["score"], rel=1e-6, abs=1e-6)
