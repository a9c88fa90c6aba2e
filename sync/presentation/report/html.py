"""The page frame shared by every report page: escaping, the Content-Security-Policy, navigation, and the
two static assets (one stylesheet, one script) written next to the pages.

Everything a tracker or a person typed (titles, names, keys, statuses, organisation names) reaches a page
only through :func:`e`, so a ticket titled ``<script>`` shows as that text. The policy allows nothing from
elsewhere and nothing inline: no inline script, no ``style`` attribute, no plug-in, no form, no framing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from sync.daemon.web import REPORT_POLICY as CSP  # the daemon sends the same policy as a header

NAV = (
    ("index.html", "Ranking"),
    ("changes.html", "Changes"),
    ("roadmap.html", "Roadmap"),
)


SPECIAL = re.compile("[&<>\"']")


def e(value: object) -> str:
    """Text (or an attribute value) made safe for HTML: ``&``, ``<``, ``>``, ``"`` and ``'`` escaped.
    Most values hold none of them, and one regular-expression search is cheaper than five replacements
    (this runs a few hundred times per page)."""
    text = value if type(value) is str else "" if value is None else str(value)
    return escape(text, quote=True) if SPECIAL.search(text) else text


def link(href: str | None, text: object, css: str = "") -> str:
    """A link to ``href`` when it is http(s) or relative, else the text alone (no ``javascript:`` URL a
    tracker might hold ever becomes a link)."""
    klass = f' class="{css}"' if css else ""
    if href and (href.startswith(("https://", "http://")) or not _has_scheme(href)):
        return f'<a href="{e(href)}"{klass}>{e(text)}</a>'
    return f"<span{klass}>{e(text)}</span>"


def _has_scheme(href: str) -> bool:
    head = href.split("/", 1)[0]
    return ":" in head


def page(title: str, body: str, root: str, generated: str, script: bool = False) -> str:
    """A whole page. ``root`` is the relative path back to the site's top (``""`` or ``"../../"``)."""
    nav = " ".join(f'<a href="{root}{href}">{e(name)}</a>' for href, name in NAV)
    script_tag = f'<script src="{root}assets/report.js" defer></script>' if script else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)} · rankbridge</title>"
        f'<link rel="stylesheet" href="{root}assets/report.css">{script_tag}</head>'
        f'<body><header><span class="brand">rankbridge</span><nav>{nav}</nav>'
        f'<span class="muted">ranked {e(generated)}</span></header>'
        f"<main><h1>{e(title)}</h1>{body}</main></body></html>\n"
    )


def table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """A table of cells that are already HTML (each built with :func:`e` or :func:`link`)."""
    if not rows:
        return '<p class="muted">None.</p>'
    head = _head(tuple(headers))
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@lru_cache(maxsize=64)
def _head(headers: tuple[str, ...]) -> str:
    """A table's header cells (the same few header rows on thousands of pages)."""
    return "".join(f"<th>{e(h)}</th>" for h in headers)


STYLESHEET = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; margin: 0; }
header { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1.2em; background: #1f2933; }
header, header a { color: #f5f7fa; }
.brand { font-weight: 700; }
nav a { margin-right: 1em; }
main { padding: 0 1.2em 2em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { border-bottom: 1px solid #e4e7eb; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f5f7fa; position: sticky; top: 0; }
th[data-sort] { cursor: pointer; }
th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.cut td { border-top: 3px dashed #d9822b; }
tr.below td { color: #616e7c; }
.badge { font-size: .8em; padding: 0 .4em; border-radius: .6em; background: #fde7cf; color: #8a4b0f; }
.muted { color: #7b8794; }
.up { color: #1c7c3c; } .down { color: #b3261e; }
pre { background: #f5f7fa; padding: .8em; overflow-x: auto; white-space: pre-wrap; }
.filters { display: flex; gap: 1em; flex-wrap: wrap; margin: .6em 0; }
.filters label { display: flex; flex-direction: column; font-size: .85em; color: #52606d; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; }
.card { border: 1px solid #e4e7eb; border-radius: .4em; padding: .6em .9em; }
.card b { display: block; font-size: 1.3em; }
.chart { max-width: 100%; height: auto; }
"""

# Sorting and filtering of the ranking table; the page works without it (everything is in the HTML).
SCRIPT = """
"use strict";
(function () {
  var table = document.getElementById("ranking");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var selects = document.querySelectorAll("select[data-filter]");
  var counter = document.getElementById("shown");
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = true;
      selects.forEach(function (select) {
        var want = select.value;
        if (!want) { return; }
        var have = (row.getAttribute("data-" + select.getAttribute("data-filter")) || "").split("|");
        if (have.indexOf(want) < 0) { ok = false; }
      });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (counter) { counter.textContent = String(shown); }
  }
  selects.forEach(function (select) { select.addEventListener("change", apply); });
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, column) {
    if (!th.hasAttribute("data-sort")) { return; }
    th.addEventListener("click", function () {
      var numeric = th.getAttribute("data-sort") === "number";
      var ascending = !th.classList.contains("sorted-asc");
      Array.prototype.forEach.call(headers, function (h) {
        h.classList.remove("sorted-asc", "sorted-desc");
      });
      th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-value") || a.cells[column].textContent;
        var y = b.cells[column].getAttribute("data-value") || b.cells[column].textContent;
        var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  apply();
}());
"""
