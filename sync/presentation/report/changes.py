"""What changed since the previous ranking run: items that moved up or down (with the reasons the
explanation gives), new items, items that left the ranking (closed, canceled, deleted), and the writes
sent to the trackers since."""

from __future__ import annotations

from rules.explain import number
from sync.model import report_page
from sync.presentation.report.data import Row, Site, qualified
from sync.presentation.report.html import e, link, page, table
from sync.presentation.report.itempage import writes_table

SHOWN = 200  # rows per list (the biggest moves first)


def changes_page(site: Site) -> str:
    if not site.previous:
        intro = '<p class="muted" id="no-previous">First ranking run: nothing to compare with yet.</p>'
        intro += "<h2>Writes sent by the latest sync</h2>" + writes_table(site.recent_writes, SHOWN)
        return page("Changes since the previous sync", intro, "", site.generated)
    moves = [(r, int(site.previous[r.uid]["rank"]) - r.rank) for r in site.rows if r.uid in site.previous]
    up = sorted((m for m in moves if m[1] > 0), key=lambda m: (-m[1], m[0].rank))
    down = sorted((m for m in moves if m[1] < 0), key=lambda m: (m[1], m[0].rank))
    new = [r for r in site.rows if r.uid not in site.previous]
    current = {r.uid for r in site.rows}
    gone = [uid for uid in site.previous if uid not in current]
    counts = [
        ("moved up", len(up)),
        ("moved down", len(down)),
        ("new", len(new)),
        ("left the ranking", len(gone)),
        ("writes sent", len(site.recent_writes)),  # by the latest sync
    ]
    body = [
        '<div class="cards">'
        + "".join(
            f'<div class="card" id="count-{e(name.replace(" ", "-"))}"><span class="muted">{e(name)}</span>'
            f"<b>{value:,}</b></div>"
            for name, value in counts
        )
        + "</div>",
        "<h2>Moved up</h2>",
        _moves(up[:SHOWN], site, "up"),
        "<h2>Moved down</h2>",
        _moves(down[:SHOWN], site, "down"),
        "<h2>New in the ranking</h2>",
        table(["rank", "item", "score"], [_new(r) for r in new[:SHOWN]], "new"),
        "<h2>Left the ranking</h2>",
        _gone(site, gone[:SHOWN]),
        "<h2>Writes sent by the latest sync</h2>",
        writes_table(site.recent_writes, SHOWN),
    ]
    return page("Changes since the previous sync", "".join(body), "", site.generated)


def _title(row: Row) -> str:
    return f"{link(row.item.url, row.ref)} {link(row.page, row.item.title)}"


def _moves(moves: list[tuple[Row, int]], site: Site, css: str) -> str:
    rows = []
    for row, delta in moves:
        before = site.previous[row.uid]
        reasons = row.components.get("changes") or [row.components.get("change") or ""]
        rows.append(
            [
                f'<span class="{css}">{"▲" if delta > 0 else "▼"} {abs(delta)}</span>',
                f"{int(before['rank'])} → {row.rank}",
                _title(row),
                f"{e(number(float(before['score'])))} → {e(number(row.score))}",
                e("; ".join(str(r) for r in reasons)),
            ]
        )
    return table(["move", "rank", "item", "score", "why"], rows, f"moves-{css}")


def _new(row: Row) -> list[str]:
    return [str(row.rank), _title(row), e(number(row.score))]


def _gone(site: Site, uids: list[str]) -> str:
    rows = []
    for uid in uids:
        item = site.items.get(uid)
        before = site.previous[uid]
        if item is None:
            rows.append([e(uid), e(before["rank"]), "no longer in the store"])
            continue
        state = "deleted" if item.deleted else f"{item.status} ({item.status_category})"
        title = (
            link(report_page(item.connection, item.key), item.title) if site.has_page(uid) else e(item.title)
        )
        name = f"{link(item.url, qualified(item))} {title}"
        rows.append([name, e(before["rank"]), e(state)])
    return table(["item", "rank before", "now"], rows, "gone")
