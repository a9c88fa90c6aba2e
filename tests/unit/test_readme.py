"""Every TOML example in the README loads and its rules compile, so the documentation cannot rot."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rules.engine import RulesEngine
from rules.status import StatusRules
from sync.config import parse

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_toml_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example{n}" for n in range(len(BLOCKS))])
def test_each_example_loads_and_its_rules_compile(block: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in re.findall(r"\$\{(\w+)\}", block):
        monkeypatch.setenv(name, "example-secret")
    config = parse(tomllib.loads(block), "README.md")
    RulesEngine(config.scoring, config.roadmap, config.capacity)
    StatusRules(config.status)
