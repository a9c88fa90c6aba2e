"""The report written from a sandbox sync: every ranked item, the explanation ``explain`` prints, the
changes of the second sync with their reasons, the roadmap shares ``roadmap --json`` computes, markup from
the trackers shown as text, and pages that load nothing from elsewhere and run no inline script."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from sync.model import report_page
from sync.presentation.demo import DEMO_RULES
from tests.report.conftest import HOSTILE, Reported
from tests.report.pages import Page, all_pages


def test_every_ranked_item_has_a_row_and_a_page(reported: Reported) -> None:
    ranking = reported.ranking()
    index = Page(reported.site / "index.html")
    rows = index.rows("ranking")
    assert [int(r.cells()[0]) for r in rows] == [r["rank"] for r in ranking]
    assert [r.attrs["data-uid"] for r in rows] == [r["uid"] for r in ranking]
    assert [r.cells()[1] for r in rows] == [r["ref"] for r in ranking]
    for row in ranking:
        assert (reported.site / report_page(row["connection"], row["key"])).is_file()
    assert index.one("span", id="shown").text == str(len(ranking))


def test_item_page_explains_as_explain_does(reported: Reported) -> None:
    top = reported.ranking()[0]
    page = Page(reported.site / report_page(top["connection"], top["key"]))
    printed = reported.cli("explain", top["ref"]).stdout
    assert page.one("pre", id="explanation").text == printed.rstrip("\n")
    explained = reported.json("explain", top["ref"])
    factors = [
        (el.attrs["data-factor"], float(v.attrs["data-value"] or 0))
        for el, v in zip(
            page.find("span", **{"class": "factor"}),
            page.find("span", **{"class": "factor-value"}),
            strict=True,
        )
    ]
    assert factors == [(f["name"], float(f["value"])) for f in explained["components"]["factors"]]
    inputs = {el.attrs["data-input"] for el in page.find("span", **{"class": "input"})}
    assert inputs == set(explained["components"]["inputs"])
    assert page.one("div", id="fact-rank").text.endswith(str(explained["rank"]))


def test_each_team_s_cut_line_is_drawn_above_its_first_item_that_does_not_fit(reported: Reported) -> None:
    capacity = DEMO_RULES["capacity"]["default"]
    expected: dict[str, str] = {}
    used: dict[str, float] = {}
    for row in reported.ranking():
        team = f"{row['connection']}:{row['container'] or ''}"
        if team in expected:
            continue
        used[team] = used.get(team, 0.0) + float(row["components"]["effort"])
        if used[team] > capacity + 1e-9:
            expected[team] = row["uid"]
    assert expected, "the demo's capacity cuts at least one team"
    index = Page(reported.site / "index.html")
    cut = {
        r.attrs["data-team"]: r.attrs["data-uid"]
        for r in index.rows("ranking")
        if "cut" in (r.attrs.get("class") or "")
    }
    assert cut == expected
    teams = {r.cells()[0] for r in index.rows(css="capacity")}
    assert set(expected) <= teams


def test_markup_written_in_a_tracker_is_shown_as_text(reported: Reported) -> None:
    index = Page(reported.site / "index.html")
    titled = [r for r in index.rows("ranking") if r.cells()[1] == reported.hostile]
    assert titled and titled[0].cells()[2] == HOSTILE
    for page in all_pages(reported.site):
        text = page.path.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text, page.path
        for element in page.elements:
            assert not any(name.startswith("on") for name in element.attrs), (page.path, element)
            assert "style" not in element.attrs, (page.path, element)
        scripts = page.find("script")
        assert all(s.attrs.get("src", "").endswith("assets/report.js") and not s.text for s in scripts)
    assert (
        HOSTILE in Page(reported.site / report_page("jira", reported.hostile.split(":", 1)[1])).one("h1").text
    )


def test_pages_carry_a_strict_policy_and_load_nothing_from_elsewhere(reported: Reported) -> None:
    for page in all_pages(reported.site):
        policy = page.one("meta", http_equiv="Content-Security-Policy").attrs["content"] or ""
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, page.path
        assert "unsafe-inline" not in policy
        for element in page.elements:
            source = element.attrs.get("src") or (
                element.attrs.get("href") if element.tag == "link" else None
            )
            assert source is None or "//" not in source, (page.path, source)


def test_changes_show_the_move_and_its_reason(reported: Reported) -> None:
    page = Page(reported.site / "changes.html")
    moved = [r for r in page.rows(css="moves-up") if reported.lifted in r.cells()[2]]
    assert moved, "the relabelled issue is listed as moved up"
    assert "security first now applies" in moved[0].cells()[4]
    before, after = (int(n) for n in moved[0].cells()[1].split(" → "))
    assert before > after
    assert int(page.one("div", id="count-moved-up").children[-1].text) >= 1
    gone = [r for r in page.rows(css="gone") if reported.closed in r.cells()[0]]
    assert gone and "(done)" in gone[0].cells()[2], "the closed issue left the ranking, shown as done"
    left = reported.site / report_page("jira", reported.closed.split(":", 1)[1])
    assert left.is_file(), "its tracker still links to its page: the page stays and says what happened"
    assert any(
        el.attrs.get("href") == report_page("jira", reported.closed.split(":", 1)[1]) for el in page.find("a")
    ), "the changes page links the item that left to its page"
    left_page = Page(left)
    assert left_page.one("p", id="left").text.startswith("Left the ranking: completed.")
    assert left_page.one("div", id="fact-last-rank").children[-1].text == gone[0].cells()[1]
    assert left_page.one("div", id="fact-now").children[-1].text.endswith("(done)")
    sent = reported.sql(
        "select count(*) as n from journal where run_id > (select max(id) from runs where kind = 'rank')"
    )[0]["n"]
    assert sent > 0, "the relabelled issue's new score was written"
    assert int(page.one("div", id="count-writes-sent").children[-1].text) == sent
    assert len(page.rows(css="writes")) == sent


def test_roadmap_chart_shows_the_alignment_roadmap_computes(reported: Reported) -> None:
    expected = reported.json("roadmap")
    page = Page(reported.site / "roadmap.html")
    bars = {
        b.attrs["data-theme"]: float(b.attrs["data-share"] or 0) for b in page.find("g", **{"class": "bar"})
    }
    wanted = {t["name"]: t["share"] for t in expected["themes"]} | {
        "unaligned": expected["unaligned"]["share"]
    }
    assert bars == wanted
    targets = [line for line in page.elements if line.tag == "line"]
    assert len(targets) == sum(1 for t in expected["themes"] if t["target"] is not None) == 2
    assert page.one("p", id="aligned").text.endswith(
        f"{expected['aligned_share']:.0%} aligned with an active theme."
    )


def test_report_refuses_a_foreign_directory_and_removes_pages_of_items_gone(
    reported: Reported, tmp_path: Path
) -> None:
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["--config", str(reported.config), "report", "--out", str(foreign)])
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (foreign / "notes.txt").read_text() == "mine"
    stale = reported.site / "items" / "jira" / "GONE-1.html"
    stale.write_text("old")
    reported.cli("report", "--out", str(reported.site))
    assert not stale.exists()
    assert (reported.site / "index.html").is_file()


def test_item_page_paths_are_safe_and_distinct() -> None:
    assert report_page("jira", "ENG-42") == "items/jira/ENG-42.html"
    github = report_page("github", "acme/app#12")
    assert github.startswith("items/github/acme-app-12-") and "/" not in github.removeprefix("items/github/")
    assert report_page("github", "a-b/c#1") != report_page("github", "a/b-c#1")
    assert ".." not in report_page("../x", "../../etc/passwd")
    assert json.dumps(report_page("zendesk", "#1234")).count("#") == 0


def test_a_store_never_ranked_gives_a_report_that_says_so(tmp_path: Path) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text('[store]\npath = "empty.db"\n\n[report]\ndir = "site"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "report"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"  # [report] dir, relative to the config file
    assert Page(site / "index.html").rows("ranking") == []
    assert Page(site / "changes.html").one("p", id="no-previous")
    assert "No ranking run" in Page(site / "roadmap.html").one("main").text
