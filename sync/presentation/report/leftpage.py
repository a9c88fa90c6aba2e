"""A page for an item that left the ranking (completed, closed without being done, deleted, or out of the
rules' scope) within the runs the history chart covers.

Its trackers may still hold the link rankbridge wrote to its page (a closed issue is never written again),
so the page stays and says what happened: the state the last pull read, the rank and score it last had,
its history, its evidence and the writes made to its trackers. Past the history window it has no page."""

from __future__ import annotations

from rules.explain import number
from sync.model import Item
from sync.presentation.report.data import Site, qualified
from sync.presentation.report.html import e, link, page
from sync.presentation.report.itempage import (
    ROOT,
    fact_cards,
    history_of,
    linked_table,
    requests_table,
    writes_table,
)


def left_the_ranking(site: Site) -> list[Item]:
    """Items ranked in one of the runs of the history window and not in the latest ranking."""
    ranked = {row.uid for row in site.rows}
    left = (site.items.get(uid) for uid in site.history if uid not in ranked)
    return sorted((item for item in left if item is not None), key=lambda item: item.uid)


def why_it_left(item: Item) -> str:
    if item.deleted:
        return "deleted in its tracker"
    if item.status_category == "done":
        return "completed"
    if item.status_category == "canceled":
        return "closed without being done"
    return "no longer scored by the rules (out of their scope, or kept out of the ranking)"


def left_page(site: Site, item: Item) -> str:
    last_at, last_score, last_rank = site.history[item.uid][-1]
    state = "deleted" if item.deleted else f"{item.status} ({item.status_category})"
    cells = [
        ("now", state),
        ("last rank", str(last_rank)),
        ("last score", number(last_score)),
        ("last ranked", last_at[:16].replace("T", " ")),
        ("tracker", item.connection),
    ]
    body = [
        fact_cards(cells),
        f'<p id="left">Left the ranking: {e(why_it_left(item))}. '
        f"{link(item.url, f'open {qualified(item)} in {item.source}')}</p>",
        "<h2>Requesting tickets</h2>",
        requests_table(site, item),
        "<h2>Linked issues</h2>",
        linked_table(site, item),
        "<h2>Rank and score over the last runs</h2>",
        history_of(site, item.uid),
        "<h2>Writes to its trackers</h2>",
        writes_table(site.writes.get(item.uid, [])),
    ]
    return page(f"{qualified(item)} {item.title} (left the ranking)", "".join(body), ROOT, site.generated)
