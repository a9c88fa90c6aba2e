"""Commands that only read the store: explain, log, status, customers, roadmap, report.

A command module imports only click when it loads; a command imports what it needs when it runs, so
that `rankbridge --version` and `--help` start fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.presentation.commands.common import pass_context

if TYPE_CHECKING:
    from sync.presentation.context import Context


@click.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@pass_context
def explain(ctx: Context, key: str, as_json: bool) -> None:
    """Explain one item's score and rank. KEY is a key (ENG-42, acme/app#12, #102), a qualified
    reference CONNECTION:KEY (linear:ENG-42, zendesk:102) or a uid; a key two connections share must be
    qualified (exit 2 lists the candidates). For a feedback ticket: what it asks for, the issues it is
    linked to and the rank it carries."""
    from sync.errors import RankbridgeError
    from sync.presentation import views
    from sync.presentation.people import feedback_lines, feedback_view

    with ctx.engine(lock=False) as engine:
        item = ctx.resolve(engine, key)
        score = engine.store.score(item.uid)
        feedback = feedback_view(engine.store, item) if score is None and item.kind == "feedback" else None
    if feedback is not None:  # a ticket is not ranked itself: it carries the rank of what it asks for
        if as_json or ctx.json:
            views.print_json(ctx.out, feedback)
        else:
            for line in feedback_lines(feedback):
                ctx.out.print(line, markup=False, highlight=False)
        return
    if score is None:
        raise RankbridgeError(f"{item.ref}: not ranked (closed, or `rankbridge rank` not run yet)")
    if as_json or ctx.json:
        views.print_json(
            ctx.out,
            {
                "key": item.key,
                "ref": item.ref,
                "uid": item.uid,
                "score": score["score"],
                "rank": score["rank"],
                "components": json.loads(score["components"]),
            },
        )
    else:
        ctx.out.print(score["explanation"], markup=False, highlight=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pushes as JSON.")
@click.option("--limit", type=int, default=10, show_default=True, help="Pushes to show, newest first.")
@pass_context
def log(ctx: Context, as_json: bool, limit: int) -> None:
    """List pushes: each op with the items it touched (CONNECTION:KEY and title), the change before ->
    after in the tracker's terms, the result and why an op failed."""
    from sync.presentation import views
    from sync.presentation.people import log_entries
    from sync.push.undo import push_log

    with ctx.engine(lock=False) as engine:
        types = {name: c.type for name, c in engine.config.connections.items()}
        entries = log_entries(engine.store, types, push_log(engine.store, limit))
    if as_json or ctx.json:
        views.print_json(ctx.out, entries)
    else:
        views.show_log(ctx.out, entries)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Per connection: last pull, cursors, errors, pending ops, quarantined records."""
    from sync.presentation import views
    from sync.presentation.status_report import connection_status

    with ctx.engine(lock=False) as engine:
        data = connection_status(engine)
    if as_json or ctx.json:
        views.print_json(ctx.out, data)
    else:
        views.show_status(ctx.out, data)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the customers as JSON.")
@pass_context
def customers(ctx: Context, as_json: bool) -> None:
    """Customers, one per organisation across trackers: the records merged, tier, ARR, requests."""
    from sync.customers import customer_report, customers_table
    from sync.presentation import views

    with ctx.engine(lock=False) as engine:
        rows = customer_report(engine.store, engine.config)
    if as_json:
        views.print_json(ctx.out, rows)
    else:
        ctx.out.print(customers_table(rows))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def roadmap(ctx: Context, as_json: bool) -> None:
    """Roadmap alignment: effort share per theme, unaligned work, loud but off-strategy items."""
    from sync.presentation import views
    from sync.rank import alignment

    with ctx.engine(lock=False) as engine:
        report = alignment(engine.store, engine.config)
    if as_json or ctx.json:
        views.print_json(ctx.out, report.as_dict())
        return
    for line in report.lines():
        ctx.out.print(line, markup=False, highlight=False)


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the site into (default: [report] dir).",
)
@pass_context
def report(ctx: Context, out: Path | None) -> None:
    """Write the HTML report (ranking, one page per item, changes, roadmap) from the store."""
    from sync.errors import UsageError
    from sync.presentation.report.site import write_site

    config = ctx.config()
    target = out or (Path(config.report.dir) if config.report.dir else None)
    if target is None:
        raise UsageError("no directory: pass --out DIR or set [report] dir in the config")
    with ctx.engine(lock=False) as engine:
        written = write_site(engine.store, target)
    ctx.out.print(
        f"wrote {written.pages} page(s) ({written.items} item pages) to {written.path}", markup=False
    )


COMMANDS = [explain, log, status, customers, roadmap, report]
