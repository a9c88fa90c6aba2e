"""Commands of the pipeline: pull, rank, plan and push (sync runs all four).

A command module imports only click when it loads; a command imports what it needs when it runs, so
that `rankbridge --version` and `--help` start fast."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.presentation.commands.common import ALL, pass_context, wait_option

if TYPE_CHECKING:
    from sync.presentation.context import Context


@click.command()
@click.option("--dry-run", is_flag=True, help="Pull, rank and plan; write nothing to any tracker.")
@click.option(
    "--now",
    is_flag=True,
    help="Sync nothing here: ask the running daemon(s) to pull every connection now (the shared schedule).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@wait_option
@pass_context
def sync(ctx: Context, dry_run: bool, now: bool, as_json: bool) -> None:
    """Pull every connection, rank, plan and push (or, with --now, ask the daemons to)."""
    from sync.presentation import views

    if now:
        from sync.daemon.lease import request_run

        names = request_run(ctx.config())
        if as_json or ctx.json:
            views.print_json(ctx.out, {"due_now": names})
        else:
            ctx.out.print(f"asked the daemons to pull {len(names)} connection(s) now", markup=False)
        raise SystemExit(0)

    with ctx.engine(contacts=ALL, config=ctx.runnable_config()) as engine:
        report = engine.sync(dry_run=dry_run)
        views.show_sync(ctx.out, ctx.err, engine.store, report, as_json or ctx.json, dry_run)
    raise SystemExit(1 if views.sync_failed(report) else 0)


@click.command()
@click.argument("connections", nargs=-1)
@click.option(
    "--full",
    is_flag=True,
    help="Read every item stream whole (not from its cursor): items no longer listed are marked deleted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@wait_option
@pass_context
def pull(ctx: Context, connections: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Pull new and changed items (all connections, or the CONNECTIONS named).

    A stream's first pull, a whole re-read every full_read_hours and --full read it from no cursor; such a
    read, when it completes, marks the items it no longer lists deleted (out of the ranking, their pending
    writes dropped with a note)."""
    from sync.presentation import views

    config = ctx.config()
    unknown = sorted(set(connections) - set(config.connections))
    if unknown:
        known = ", ".join(config.connections) or "none"
        raise ctx.fail(f"no connection named {', '.join(unknown)} in {ctx.path} (configured: {known})", 2)
    with ctx.engine(contacts=list(connections) or ALL, config=config) as engine:
        report = engine.pull(list(connections) or None, full=full)
    if as_json or ctx.json:
        views.print_json(ctx.out, report.as_dict())
    else:
        ctx.out.print(views.pull_table(report))
    raise SystemExit(1 if report.failed else 0)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@click.option("--limit", type=int, default=30, show_default=True, help="Rows to show (0: all).")
@click.option(
    "--no-save", is_flag=True, help="Only show the ranking; keep the stored one (reads, so never waits)."
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="What-if: rank under the rule sections of this file beside the current rules; saves nothing.",
)
@wait_option
@pass_context
def rank(ctx: Context, as_json: bool, limit: int, no_save: bool, rules_file: Path | None) -> None:
    """Score and rank every open item; show the unified ranking.

    Saves the ranking as the current one (scores, ranks, explanations: what plan, push, explain, status and
    the report read), keeps the previous ranking in the score history (what explain compares with), and
    records a rank run. --no-save and --rules save none of that."""
    from sync.presentation import views

    if rules_file is not None:
        _what_if(ctx, rules_file, as_json or ctx.json, limit)
        return
    with ctx.engine(lock=not no_save, config=ctx.runnable_config()) as engine:
        outcome = engine.rank(save=not no_save)
        rows = views.ranking_rows(engine.store, limit or None, outcome.rows)
    lines = sorted(outcome.result.capacity.values(), key=lambda line: line.team)
    if as_json or ctx.json:
        capacity = [line.as_dict() for line in lines]
        views.print_json(ctx.out, {"ranking": rows, "capacity": capacity, "errors": outcome.result.errors})
        return
    ctx.out.print(views.ranking_table(rows))
    for line in lines:
        ctx.out.print(f"cut line {line.describe()}", markup=False, highlight=False)
    for error in outcome.result.errors[:20]:
        ctx.err.print(f"rule error: {error}", markup=False)


def _what_if(ctx: Context, rules_file: Path, as_json: bool, limit: int) -> None:
    from sync.presentation import views
    from sync.whatif import what_if, what_if_table, writes_lines

    with ctx.engine(lock=False) as engine:
        result = what_if(engine, rules_file)
    if as_json:
        views.print_json(ctx.out, result.as_dict())
        return
    ctx.out.print(what_if_table(result, f"What if: {rules_file} (nothing saved)", limit or None))
    ctx.out.print(f"{len(result.moved())} item(s) move or change score", markup=False)
    for line in writes_lines(result):
        ctx.out.print(line, markup=False, highlight=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@wait_option
@pass_context
def plan(ctx: Context, as_json: bool) -> None:
    """Show (and stage) every write a push would make, per tracker, with the reason."""
    from rich.text import Text

    from sync.presentation import views
    from sync.presentation.output import safe

    with ctx.engine(config=ctx.runnable_config()) as engine:
        planned, plan_id = engine.plan()
        if as_json or ctx.json:
            views.print_json(ctx.out, views.plan_json(planned) | {"plan_id": plan_id})
            return
        ctx.out.print(views.plan_table(planned, engine.store))
        for note in planned.notes():
            ctx.out.print(Text("  ").append_text(safe(note)))


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@wait_option
@pass_context
def push(ctx: Context, yes: bool) -> None:
    """Apply the staged plan to the trackers."""
    from sync.presentation import views

    with ctx.engine(contacts=ALL) as engine:
        pending = engine.store.outbox()
        if not pending:
            ctx.out.print("nothing to push: the outbox is empty (run `rankbridge plan`)")
            return
        if not yes and sys.stdin.isatty():
            click.confirm(f"apply {len(pending)} op(s) to the trackers?", abort=True)
        report = engine.push()
        ctx.out.print(views.push_table(report))
        for error in report.errors:
            ctx.err.print(error, markup=False)
    raise SystemExit(1 if report.errors else 0)


COMMANDS = [sync, pull, rank, plan, push]
