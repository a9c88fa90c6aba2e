"""One page per ranked item: the explanation exactly as ``rankbridge explain`` prints it (the text the
ranking run stored), then the same explanation as tables (each factor with its value and where it came
from, adjustments, themes), the evidence behind it (requesting tickets and their customers, linked issues,
mirrors), its score and rank over the last runs, and what rankbridge wrote to its trackers."""

from __future__ import annotations

import json
from typing import Any

from rules.explain import money, number, show_value
from sync.model import Item, LinkType, report_page
from sync.presentation.report.data import Row, Site, Write, qualified, team_of
from sync.presentation.report.html import e, link, page, table
from sync.presentation.report.svg import Point, history_chart

ROOT = "../../"
WRITES_SHOWN = 30


def item_page(site: Site, row: Row) -> str:
    item = row.item
    body = [
        _facts(row),
        "<h2>Explanation</h2>",
        f'<pre id="explanation">{e(row.explanation)}</pre>',
        "<h2>Factors</h2>",
        factors_table(row.components, row.score),
        "<h2>Inputs</h2>",
        inputs_table(row.components),
        _adjustments(row.components),
        "<h2>Evidence</h2>",
        "<h3>Requesting tickets</h3>",
        requests_table(site, item),
        "<h3>Linked issues</h3>",
        linked_table(site, item),
        "<h3>Mirrors</h3>",
        _mirrors(site, row),
        "<h2>Rank and score over the last runs</h2>",
        history_of(site, item.uid),
        "<h2>Writes to its trackers</h2>",
        _writes(site.writes.get(item.uid, [])),
    ]
    return page(f"#{row.rank} {row.ref} {item.title}", "".join(body), ROOT, site.generated)


def _facts(row: Row) -> str:
    item = row.item
    cells = [
        ("rank", str(row.rank)),
        ("score", number(row.score)),
        ("status", f"{item.status} ({item.status_category})"),
        ("team", team_of(item)),
        ("tracker", item.connection),
    ]
    opened = link(item.url, f"open {row.ref} in {item.source}")
    return f"{fact_cards(cells)}<p>{opened}</p>"


def fact_cards(cells: list[tuple[str, str]]) -> str:
    """A row of cards, each a fact's name and value (ids ``fact-<name>``, spaces as dashes)."""
    cards = "".join(
        f'<div class="card" id="fact-{e(name.replace(" ", "-"))}"><span class="muted">{e(name)}</span>'
        f"<b>{e(value)}</b></div>"
        for name, value in cells
    )
    return f'<div class="cards">{cards}</div>'


def factors_table(components: dict[str, Any], score: float) -> str:
    """The factors that multiply out to the score, in order, as ``explain --json`` lists them."""
    rows = [
        [
            e(factor.get("op", "")),
            f'<span class="factor" data-factor="{e(factor.get("name"))}">{e(factor.get("name"))}</span>',
            f'<span class="factor-value" data-value="{float(factor.get("value") or 0)!r}">'
            f"{number(float(factor.get('value') or 0))}</span>",  # digits only: nothing to escape
        ]
        for factor in components.get("factors") or []
    ]
    if not rows:
        return '<p class="muted">No factors recorded for this run.</p>'
    rows.append(["=", "score", f'<b id="final-score">{number(score)}</b>'])
    return table(["", "factor", "value"], rows, "factors")


def inputs_table(components: dict[str, Any]) -> str:
    """Each input of the score: its value, whether it was imputed, the expression and the values it read."""
    rows = []
    for name, value in (components.get("inputs") or {}).items():
        sources = ", ".join(f"{k} = {show_value(v)}" for k, v in (value.get("sources") or {}).items())
        rows.append(
            [
                f'<span class="input" data-input="{e(name)}">{e(name)}</span>',
                f'<span class="input-value" data-value="{float(value.get("value") or 0)!r}">'
                f"{number(float(value.get('value') or 0))}</span>",
                "imputed default" if value.get("imputed") else "computed",
                f"<code>{e(value.get('expression'))}</code>",
                e(sources),
            ]
        )
    return table(["input", "value", "origin", "expression", "read"], rows, "inputs")


def _adjustments(components: dict[str, Any]) -> str:
    lines = [f"framework: {components.get('framework', '')}"]
    lines.append(f"score before adjustments and themes: {number(float(components.get('base_score') or 0))}")
    for adjustment in components.get("adjustments") or []:
        lines.append(f"adjustment: {adjustment}")
    themes = components.get("themes") or []
    weight = float(components.get("theme_weight") or 1)
    lines.append(f"themes: {', '.join(themes)} (×{number(weight)})" if themes else "themes: none (unaligned)")
    if components.get("pin"):
        lines.append(f"pinned: {components['pin']}")
    if components.get("fits_next_cycle") is not None:
        fits = "fits" if components["fits_next_cycle"] else "does not fit"
        lines.append(
            f"capacity: {fits} the next cycle (effort {number(float(components.get('effort') or 0))})"
        )
    lines.extend(f"error: {error}" for error in components.get("errors") or [])
    return "<ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>"


def _item_link(site: Site, item: Item) -> str:
    """The other item's reference (to its tracker) and title (to its report page when it has one)."""
    title = (
        link(ROOT + report_page(item.connection, item.key), item.title)
        if site.has_page(item.uid)
        else e(item.title)
    )
    return f"{link(item.url, qualified(item))} {title}"


def requests_table(site: Site, item: Item) -> str:
    rows = []
    for ticket in sorted(site.requests_of(item.uid), key=lambda t: t.uid):
        customer = site.customers.get(ticket.organization or "")
        rows.append(
            [
                _item_link(site, ticket),
                e(ticket.status),
                e(customer.name if customer else ticket.organization or "no organisation"),
                e(customer.tier if customer and customer.tier else ""),
                e(money(customer.arr) if customer and customer.arr else ""),
            ]
        )
    return table(["ticket", "status", "customer", "tier", "ARR"], rows, "requests")


def linked_table(site: Site, item: Item) -> str:
    rows = []
    for link_ in site.links_from.get(item.uid, []):
        if link_.type in (LinkType.REQUESTS, LinkType.MIRRORS):
            continue
        other = site.items.get(link_.dst_uid or "")
        target = _item_link(site, other) if other else e(link_.dst_ref or "")
        rows.append([e(link_.type), "→", target, e(link_.origin)])
    for link_ in site.links_to.get(item.uid, []):
        if link_.type in (LinkType.REQUESTS, LinkType.MIRRORS):
            continue
        other = site.items.get(link_.src_uid)
        rows.append(
            [e(link_.type), "←", _item_link(site, other) if other else e(link_.src_uid), e(link_.origin)]
        )
    return table(["link", "", "item", "found in"], rows, "links")


def _mirrors(site: Site, row: Row) -> str:
    group = [u for u in row.components.get("mirror_group") or [] if u != row.uid]
    rows = []
    for uid in group:
        other = site.items.get(uid)
        rows.append([_item_link(site, other) if other else e(uid), e(other.status if other else "")])
    scored_by = row.components.get("scored_by")
    note = f'<p class="muted">scored as its best member {e(scored_by)}</p>' if scored_by else ""
    return table(["item", "status"], rows, "mirrors") + note


def history_of(site: Site, uid: str) -> str:
    points = site.history.get(uid, [])
    scores = [Point(at[:16].replace("T", " "), score) for at, score, _ in points]
    ranks = [Point(at[:16].replace("T", " "), float(rank)) for at, _, rank in points]
    return history_chart(scores, ranks)


def describe(write: Write) -> str:
    payload = write.payload
    if "items" in payload and ("after" in payload or "before" in payload):
        anchor = f"after {payload['after']}" if payload.get("after") else f"before {payload.get('before')}"
        return f"moved {len(payload['items'])} item(s) {anchor}"
    if "field" in payload:
        return f"{payload['field']} = {json.dumps(payload.get('value'), default=str)}"
    if "category" in payload:
        return f"status → {payload['category']}"
    if "body" in payload:
        return f"note: {str(payload['body'])[:120]}"
    if "tags" in payload:
        return f"tags {', '.join(str(t) for t in payload['tags'])}"
    return json.dumps(payload, default=str)[:120]


def writes_table(writes: list[Write], shown: int = WRITES_SHOWN) -> str:
    rows = [
        [e(w.at[:19].replace("T", " ")), e(w.connection), e(w.kind), e(w.result), e(describe(w))]
        for w in list(reversed(writes))[:shown]
    ]
    return table(["when", "tracker", "kind", "result", "what"], rows, "writes")


def _writes(writes: list[Write]) -> str:
    return writes_table(writes)
