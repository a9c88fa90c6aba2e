"""The report in a real browser (headless Chromium): the demo's site shows the top item's score and factors
as ``explain --json`` gives them; the ranking filters and sorts in the page; the changes page and the roadmap
chart render with the expected numbers; markup from a tracker never runs. Screenshots of each page go to the
test's output folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from tests.report.browser import chromium, console_errors
from tests.report.conftest import HOSTILE, Reported


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as session:
        yield session


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.resolve().as_uri())
    driver.implicitly_wait(2)


def shoot(driver: Any, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    assert driver.save_screenshot(str(target)), target
    return target


def visible_rows(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return [r for r in driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr") if r.is_displayed()]


def test_demo_report_shows_the_top_item_as_explain_does(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    workdir = tmp_path / "demo"
    demo = CliRunner().invoke(main, ["demo", "--items", "12", "--dir", str(workdir)], catch_exceptions=False)
    assert demo.exit_code == 0, demo.output
    index = workdir / "report" / "index.html"
    assert f"HTML report: {index.resolve()}" in demo.stdout
    open_page(driver, index)
    shoot(driver, tmp_path / "screenshots", "ranking")
    top = visible_rows(driver)[0]
    assert top.find_element(By.CSS_SELECTOR, "td.rank").text == "1"
    ref = top.find_element(By.CSS_SELECTOR, "td.ref").text
    config = str(workdir / "rankbridge.toml")
    explained = CliRunner().invoke(
        main, ["--config", config, "explain", ref, "--json"], catch_exceptions=False
    )
    expected = json.loads(explained.stdout)
    shown_score = float(top.find_element(By.CSS_SELECTOR, "td.score").get_attribute("data-value"))
    assert shown_score == pytest.approx(expected["score"])
    top.find_element(By.CSS_SELECTOR, "td.title a").click()
    shoot(driver, tmp_path / "screenshots", "item")
    assert driver.find_element(By.ID, "fact-rank").text.split()[-1] == str(expected["rank"])
    assert float(driver.find_element(By.ID, "final-score").text) == pytest.approx(expected["score"])
    factors = [
        (name.text, float(value.get_attribute("data-value")))
        for name, value in zip(
            driver.find_elements(By.CSS_SELECTOR, "span.factor"),
            driver.find_elements(By.CSS_SELECTOR, "span.factor-value"),
            strict=True,
        )
    ]
    assert factors == [(f["name"], pytest.approx(f["value"])) for f in expected["components"]["factors"]]
    printed = CliRunner().invoke(main, ["--config", config, "explain", ref], catch_exceptions=False).stdout
    assert driver.find_element(By.ID, "explanation").get_attribute("textContent") == printed.rstrip("\n")
    assert console_errors(driver) == []


def test_ranking_filters_and_sorts_in_the_page(driver: Any, reported: Reported, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_page(driver, reported.site / "index.html")
    everything = visible_rows(driver)
    assert len(everything) == len(reported.ranking())
    Select(driver.find_element(By.ID, "filter-tracker")).select_by_value("jira")
    jira = visible_rows(driver)
    assert jira and len(jira) < len(everything)
    assert {r.get_attribute("data-tracker") for r in jira} == {"jira"}
    assert driver.find_element(By.ID, "shown").text == str(len(jira))
    team = jira[0].get_attribute("data-team")
    Select(driver.find_element(By.ID, "filter-team")).select_by_value(team)
    assert {r.get_attribute("data-team") for r in visible_rows(driver)} == {team}
    shoot(driver, tmp_path / "screenshots", "ranking-filtered")
    Select(driver.find_element(By.ID, "filter-team")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-tracker")).select_by_value("")
    themed = [r for r in everything if r.get_attribute("data-theme")]
    if themed:
        theme = themed[0].get_attribute("data-theme").split("|")[0]
        Select(driver.find_element(By.ID, "filter-theme")).select_by_value(theme)
        assert all(theme in r.get_attribute("data-theme").split("|") for r in visible_rows(driver))
        Select(driver.find_element(By.ID, "filter-theme")).select_by_value("")
    assert len(visible_rows(driver)) == len(everything)
    header = driver.find_elements(By.CSS_SELECTOR, "#ranking thead th")[3]  # score
    header.click()
    ascending = [
        float(r.find_element(By.CSS_SELECTOR, "td.score").get_attribute("data-value"))
        for r in visible_rows(driver)
    ]
    assert ascending == sorted(ascending)
    header.click()
    descending = [
        float(r.find_element(By.CSS_SELECTOR, "td.score").get_attribute("data-value"))
        for r in visible_rows(driver)
    ]
    assert descending == sorted(ascending, reverse=True)


def test_changes_and_roadmap_render_the_expected_numbers(
    driver: Any, reported: Reported, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, reported.site / "changes.html")
    shoot(driver, tmp_path / "screenshots", "changes")
    moved = [
        row
        for row in driver.find_elements(By.CSS_SELECTOR, "table.moves-up tbody tr")
        if reported.lifted in row.text
    ]
    assert moved and "security first now applies" in moved[0].text
    assert int(driver.find_element(By.CSS_SELECTOR, "#count-moved-up b").text) >= 1

    expected = reported.json("roadmap")
    open_page(driver, reported.site / "roadmap.html")
    shoot(driver, tmp_path / "screenshots", "roadmap")
    chart = driver.find_element(By.ID, "theme-chart")
    assert chart.is_displayed() and chart.size["width"] > 300
    shares = {t["name"]: t["share"] for t in expected["themes"]} | {
        "unaligned": expected["unaligned"]["share"]
    }
    for bar in driver.find_elements(By.CSS_SELECTOR, "#theme-chart g.bar"):
        name = bar.get_attribute("data-theme")
        track, fill = bar.find_elements(By.TAG_NAME, "rect")[:2]
        drawn = fill.rect["width"] / track.rect["width"]
        assert drawn == pytest.approx(shares[name], abs=0.01), name
        assert bar.find_elements(By.TAG_NAME, "text")[1].text == f"{shares[name]:.0%}"
    assert driver.find_element(By.ID, "aligned").text.endswith(
        f"{expected['aligned_share']:.0%} aligned with an active theme."
    )


def test_markup_in_a_title_shows_as_text_and_never_runs(driver: Any, reported: Reported) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    open_page(driver, reported.site / "index.html")
    row = next(
        r for r in visible_rows(driver) if r.find_element(By.CSS_SELECTOR, "td.ref").text == reported.hostile
    )
    assert row.find_element(By.CSS_SELECTOR, "td.title a").text == HOSTILE
    assert driver.execute_script("return document.querySelectorAll('main img, main script').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is what raises when no alert is open
    assert console_errors(driver) == []
