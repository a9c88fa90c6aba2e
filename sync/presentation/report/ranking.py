"""The ranking pages: every ranked item of every tracker in unified order, with its evidence, status, team
and themes, the capacity cut line of each team, and filters (tracker, team, theme, status) and sorting done
by the page's script over the rows already in the HTML.

Very large rankings are split into pages of :data:`PAGE_ROWS` rows (``index.html``, ``ranking-2.html``…):
a browser stays responsive, and each page still filters and sorts its rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rules.explain import money, number
from sync.model import batched
from sync.presentation.report.data import Row, Site, team_of
from sync.presentation.report.html import e, link, page, table

PAGE_ROWS = 1000

COLUMNS = (
    ("#", "number"),
    ("reference", "text"),
    ("title", "text"),
    ("score", "number"),
    ("requests", "number"),
    ("customers", "number"),
    ("ARR", "number"),
    ("status", "text"),
    ("team", "text"),
    ("themes", "text"),
)


def ranking_file(number_: int) -> str:
    return "index.html" if number_ == 1 else f"ranking-{number_}.html"


def ranking_pages(site: Site) -> Iterable[tuple[str, str]]:
    """(file name, HTML) of each ranking page."""
    chunks = list(batched(site.rows, PAGE_ROWS)) or [[]]
    below = _below_the_line(site.rows)
    filters = _filters(site.rows)
    for number_, chunk in enumerate(chunks, start=1):
        body = [_summary(site), filters]
        if len(chunks) > 1:
            body.append(_pager(number_, len(chunks)))
        body.append(_table(chunk, below))
        title = "Unified ranking" + (f" (page {number_} of {len(chunks)})" if len(chunks) > 1 else "")
        yield ranking_file(number_), page(title, "".join(body), "", site.generated, script=True)


def _below_the_line(rows: Sequence[Row]) -> dict[str, bool]:
    """uid -> True for the first item of its team below the capacity line (the line is drawn above it)."""
    seen: set[str] = set()
    first: dict[str, bool] = {}
    for row in rows:
        team = team_of(row.item)
        if row.fits is False and team not in seen:
            seen.add(team)
            first[row.uid] = True
    return first


def _summary(site: Site) -> str:
    trackers = sorted({r.item.connection for r in site.rows})
    ranked_at = site.rank_run["started_at"] if site.rank_run else "never"
    cards = [
        ("ranked items", f"{len(site.rows):,}"),
        ("trackers", ", ".join(trackers) or "none"),
        ("last ranked", ranked_at),
    ]
    html = '<div class="cards">' + "".join(
        f'<div class="card"><span class="muted">{e(name)}</span><b>{e(value)}</b></div>'
        for name, value in cards
    )
    html += "</div>"
    if site.capacity:
        html += "<h2>Capacity cut line per team (next cycle)</h2>" + capacity_table(site)
    return html


def capacity_table(site: Site) -> str:
    rows = []
    for team, line in sorted(site.capacity.items()):
        first_out = line.get("first_out")
        cycle = f" (cycle {line['cycle']})" if line.get("cycle") else ""
        rows.append(
            [
                e(f"{team}{cycle}"),
                e(number(float(line.get("capacity") or 0))),
                e(number(float(line.get("used") or 0))),
                e(line.get("fitting", 0)),
                e(line.get("last_rank") or "-"),
                e(first_out or "everything fits"),
            ]
        )
    headers = [
        "team",
        "capacity",
        "effort above the line",
        "items that fit",
        "last rank above",
        "first below",
    ]
    return table(headers, rows, "capacity")


def _filters(rows: Sequence[Row]) -> str:
    options = {
        "tracker": sorted({r.item.connection for r in rows}),
        "team": sorted({team_of(r.item) for r in rows}),
        "theme": sorted({t for r in rows for t in r.themes}),
        "status": sorted({r.item.status_category for r in rows}),
    }
    parts = ['<div class="filters">']
    for name, values in options.items():
        choices = "".join(f'<option value="{e(v)}">{e(v or "(none)")}</option>' for v in values)
        parts.append(
            f'<label>{e(name)}<select id="filter-{name}" data-filter="{name}">'
            f'<option value="">all</option>{choices}</select></label>'
        )
    parts.append(f'<p>showing <span id="shown">{len(rows):,}</span> item(s)</p></div>')
    return "".join(parts)


def _pager(current: int, total: int) -> str:
    links = [
        f"<b>{n}</b>" if n == current else f'<a href="{ranking_file(n)}">{n}</a>' for n in range(1, total + 1)
    ]
    return f'<p class="pager">pages: {" ".join(links)}</p>'


def _table(rows: Sequence[Row], below: dict[str, bool]) -> str:
    numeric = ' class="num"'
    head = "".join(
        f'<th data-sort="{kind}"{numeric if kind == "number" else ""}>{e(name)}</th>'
        for name, kind in COLUMNS
    )
    body = "".join(_row(r, below.get(r.uid, False)) for r in rows)
    return f'<table id="ranking"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _row(row: Row, first_below: bool) -> str:
    item, evidence = row.item, row.evidence
    team = team_of(item)
    css = " ".join(c for c in ("cut" if first_below else "", "below" if row.fits is False else "") if c)
    badge = f' <span class="badge">cut line: {e(team)}</span>' if first_below else ""
    requests = int(evidence.get("feedback_count") or 0)
    orgs = int(evidence.get("feedback_orgs") or 0)
    arr = float(evidence.get("feedback_arr") or 0.0)
    attributes = (
        f'data-uid="{e(row.uid)}" data-tracker="{e(item.connection)}" data-team="{e(team)}" '
        f'data-theme="{e("|".join(row.themes))}" data-status="{e(item.status_category)}"'
        + (f' class="{css}"' if css else "")
    )
    cells = [
        f'<td class="num rank">{row.rank}</td>',
        f'<td class="ref">{link(item.url, row.ref)}</td>',
        f'<td class="title">{link(row.page, item.title)}{badge}</td>',
        f'<td class="num score" data-value="{row.score!r}">{e(number(row.score))}</td>',
        f'<td class="num">{requests}</td>',
        f'<td class="num">{orgs}</td>',
        f'<td class="num" data-value="{arr!r}">{e(money(arr)) if arr else ""}</td>',
        f'<td title="{e(item.status_category)}">{e(item.status)}</td>',
        f"<td>{e(team)}</td>",
        f"<td>{e(', '.join(row.themes))}</td>",
    ]
    return f"<tr {attributes}>{''.join(cells)}</tr>"
