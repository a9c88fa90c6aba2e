"""rankbridge command line: thin commands over ``sync/`` and ``rules/``. Exit codes: 0 ok, 1 a tracker or
op failed, 2 bad config or usage (or a file or folder that cannot be used), 3 a stale plan, 4 the store is in
use by another process (daemon). Errors map to them in one place: :class:`Rankbridge` (``sync.errors``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from rules.status import StatusRules
from sync.config import Config
from sync.errors import RankbridgeError, UsageError
from sync.presentation import views
from sync.presentation.context import ALL, Context, wait_option
from sync.presentation.logs import setup_logging
from sync.presentation.output import consoles
from sync.presentation.progress import ProgressHandler
from sync.presentation.sandbox_command import sandbox
from sync.presentation.starter import STARTER_CONFIG
from sync.presentation.undo_command import resume, undo
from sync.pull.replay import import_file
from sync.rank import rules_engine

console, err = consoles("text")
LONG = ("sync", "pull", "push", "undo")  # commands that draw progress bars on a terminal


pass_context = click.make_pass_decorator(Context)


class Rankbridge(click.Group):
    """The command group. A :class:`RankbridgeError` from any command ends here: one line on stderr (escaped:
    messages name sections as [connections.jira], which rich would read as markup) and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RankbridgeError as exc:
            label = f"[red]{escape(exc.label)}[/]" if exc.label else ""
            err.print(label + escape(str(exc)), highlight=False)
            raise SystemExit(exc.exit_code) from None


@click.group(cls=Rankbridge)
@click.option(
    "--config",
    "config",
    envvar="RANKBRIDGE_CONFIG",
    help="Config file (default rankbridge.toml); the paths in it are relative to its folder.",
)
@click.option(
    "-v", "--verbose", count=True, help="-v: one line per stream page, stream and op; -vv: each request too."
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: every line on stdout and stderr is one JSON object (events, messages, tables, results).",
)
@click.version_option(package_name="rankbridge")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int, log_format: str) -> None:
    """Sync one evidence-based ranking across Jira, GitHub, Linear and Zendesk."""
    global console, err
    console, err = consoles(log_format)
    bars = log_format == "text" and not verbose and err.is_terminal and ctx.invoked_subcommand in LONG
    progress = ProgressHandler(err) if bars else None
    setup_logging(verbose, log_format, progress)
    if progress is not None:
        ctx.call_on_close(progress.close)
    ctx.obj = Context(config, err)
    ctx.obj.json = log_format == "json"


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_context
def init(ctx: Context, force: bool) -> None:
    """Write a commented starter config file."""
    if ctx.path.exists() and not force:
        raise ctx.fail(f"refusing: {ctx.path.absolute()} exists; pass --force to overwrite it", 2)
    ctx.path.write_text(STARTER_CONFIG)
    console.print(f"wrote {ctx.path}: fill in the connections, then run `rankbridge doctor`")


@main.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check each connection's credentials, permissions and rate-limit budget."""
    failed = False
    with ctx.engine(lock=False) as engine:
        for name, connector in engine.connectors.items():
            missing = engine.config.unresolved(name)
            if missing:
                failed = True
                console.print(f"[red]failed[/] {name}: {escape(missing[0])}", highlight=False)
                continue
            try:
                console.print(f"[green]ok[/] {name}: {json.dumps(connector.check(), default=str)}")
            except Exception as exc:
                failed = True
                console.print(f"[red]failed[/] {name}: {type(exc).__name__}: {exc}", highlight=False)
    raise SystemExit(1 if failed else 0)


@main.command()
@click.option("--dry-run", is_flag=True, help="Pull, rank and plan; write nothing to any tracker.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@wait_option
@pass_context
def sync(ctx: Context, dry_run: bool, as_json: bool) -> None:
    """Pull every connection, rank, plan and push."""
    with ctx.engine(contacts=ALL) as engine:
        report = engine.sync(dry_run=dry_run)
        views.show_sync(console, err, engine.store, report, as_json or ctx.json, dry_run)
    raise SystemExit(1 if views.sync_failed(report) else 0)


@main.command()
@click.argument("connections", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@wait_option
@pass_context
def pull(ctx: Context, connections: tuple[str, ...], as_json: bool) -> None:
    """Pull new and changed items (all connections, or the CONNECTIONS named)."""
    config = ctx.config()
    unknown = sorted(set(connections) - set(config.connections))
    if unknown:
        known = ", ".join(config.connections) or "none"
        raise ctx.fail(f"no connection named {', '.join(unknown)} in {ctx.path} (configured: {known})", 2)
    with ctx.engine(contacts=list(connections) or ALL, config=config) as engine:
        report = engine.pull(list(connections) or None)
    if as_json or ctx.json:
        views.print_json(console, report.as_dict())
    else:
        console.print(views.pull_table(report))
    raise SystemExit(1 if report.failed else 0)


@main.command()
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
    if rules_file is not None:
        _what_if(ctx, rules_file, as_json or ctx.json, limit)
        return
    with ctx.engine(lock=not no_save) as engine:
        outcome = engine.rank(save=not no_save)
        rows = views.ranking_rows(engine.store, limit or None, outcome.rows)
    lines = sorted(outcome.result.capacity.values(), key=lambda line: line.team)
    if as_json or ctx.json:
        capacity = [line.as_dict() for line in lines]
        views.print_json(console, {"ranking": rows, "capacity": capacity, "errors": outcome.result.errors})
        return
    console.print(views.ranking_table(rows))
    for line in lines:
        console.print(f"cut line {line.describe()}", markup=False, highlight=False)
    for error in outcome.result.errors[:20]:
        err.print(f"rule error: {error}", markup=False)


def _what_if(ctx: Context, rules_file: Path, as_json: bool, limit: int) -> None:
    from sync.whatif import what_if, what_if_table, writes_lines

    with ctx.engine(lock=False) as engine:
        result = what_if(engine, rules_file)
    if as_json:
        views.print_json(console, result.as_dict())
        return
    console.print(what_if_table(result, f"What if: {rules_file} (nothing saved)", limit or None))
    console.print(f"{len(result.moved())} item(s) move or change score", markup=False)
    for line in writes_lines(result):
        console.print(line, markup=False, highlight=False)


@main.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@pass_context
def explain(ctx: Context, key: str, as_json: bool) -> None:
    """Explain one item's score and rank. KEY is a key (ENG-42, acme/app#12, #102), a qualified
    reference CONNECTION:KEY (linear:ENG-42, zendesk:102) or a uid; a key two connections share must be
    qualified (exit 2 lists the candidates)."""
    with ctx.engine(lock=False) as engine:
        item = ctx.resolve(engine, key)
        score = engine.store.score(item.uid)
    if score is None:
        raise RankbridgeError(f"{item.ref}: not ranked (closed, feedback, or `rankbridge rank` not run yet)")
    if as_json or ctx.json:
        views.print_json(
            console,
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
        console.print(score["explanation"], markup=False, highlight=False)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@wait_option
@pass_context
def plan(ctx: Context, as_json: bool) -> None:
    """Show (and stage) every write a push would make, per tracker, with the reason."""
    with ctx.engine() as engine:
        planned, plan_id = engine.plan()
        if as_json or ctx.json:
            views.print_json(console, views.plan_json(planned) | {"plan_id": plan_id})
            return
        console.print(views.plan_table(planned, engine.store))
        for note in planned.notes():
            console.print(f"  {note}")


@main.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@wait_option
@pass_context
def push(ctx: Context, yes: bool) -> None:
    """Apply the staged plan to the trackers."""
    with ctx.engine(contacts=ALL) as engine:
        pending = engine.store.outbox()
        if not pending:
            console.print("nothing to push: the outbox is empty (run `rankbridge plan`)")
            return
        if not yes and sys.stdin.isatty():
            click.confirm(f"apply {len(pending)} op(s) to the trackers?", abort=True)
        report = engine.push()
        console.print(views.push_table(report))
        for error in report.errors:
            err.print(error, markup=False)
    raise SystemExit(1 if report.errors else 0)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the pushes as JSON.")
@click.option("--limit", type=int, default=10, show_default=True, help="Pushes to show, newest first.")
@pass_context
def log(ctx: Context, as_json: bool, limit: int) -> None:
    """List pushes: when, what was written, before and after, and the result."""
    from sync.push.undo import push_log

    with ctx.engine(lock=False) as engine:
        entries = push_log(engine.store, limit)
    if as_json or ctx.json:
        views.print_json(console, entries)
    else:
        views.show_log(console, entries)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Per connection: last pull, cursors, errors, pending ops, quarantined records."""
    from sync.presentation.status_report import connection_status

    with ctx.engine(lock=False) as engine:
        data = connection_status(engine)
    if as_json or ctx.json:
        views.print_json(console, data)
    else:
        views.show_status(console, data)


@main.command()
@click.option("--once", is_flag=True, help="Run one cycle over every connection and exit (1 if one failed).")
@wait_option
@pass_context
def daemon(ctx: Context, once: bool) -> None:
    """Sync on a schedule: each connection pulled on its own interval, rank/plan/push after changes;
    /healthz and /metrics on [daemon] host:port; stops cleanly on SIGTERM or Ctrl-C."""
    from sync.daemon.scheduler import Daemon, daemon_logging, exit_now
    from sync.presentation.report.site import publisher

    config = ctx.config()
    ctx.require_secrets(config, ALL)
    rules_engine(config)
    StatusRules(config.status)
    daemon_logging()
    with ctx.store_lock(config) as lock:
        runner = Daemon(config, publish=publisher(config))
        if once:
            raise SystemExit(runner.run_once())
        finished = runner.run_forever(
            announce=lambda line: console.print(line, markup=False, highlight=False)
        )
        if not finished:
            lock.release()
            exit_now(1)
    raise SystemExit(0)


@main.command("hash-password")
def hash_password_() -> None:
    """Hash a password for [daemon] basic_password_hash (asked twice, never echoed or stored in clear)."""
    from sync.daemon.web import hash_password

    password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    click.echo(hash_password(password))


@main.command(name="import")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@wait_option
@pass_context
def import_(ctx: Context, source: str, file: Path) -> None:
    """Normalise saved API payloads from FILE into the store, without the network.

    SOURCE is a configured connection name, or a service type (jira, github, linear, zendesk)."""
    config = ctx.config() if ctx.path.exists() else Config()
    try:
        with ctx.store_lock(config):
            stats = import_file(config, source, file)
    except (ValueError, KeyError) as exc:
        raise UsageError(f"import failed: {exc}") from None
    console.print(f"imported {stats['items']} item(s) from {file} ({stats['quarantined']} quarantined)")


@main.group()
def rules() -> None:
    """Work with the rules in the config file."""


@rules.command("check")
@pass_context
def rules_check(ctx: Context) -> None:
    """Validate every rule expression without running anything."""
    config = ctx.config()
    rules_engine(config)
    StatusRules(config.status)
    console.print("rules ok")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the customers as JSON.")
@pass_context
def customers(ctx: Context, as_json: bool) -> None:
    """Customers, one per organisation across trackers: the records merged, tier, ARR, requests."""
    from sync.customers import customer_report, customers_table

    with ctx.engine(lock=False) as engine:
        rows = customer_report(engine.store, engine.config)
    if as_json:
        views.print_json(console, rows)
    else:
        console.print(customers_table(rows))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def roadmap(ctx: Context, as_json: bool) -> None:
    """Roadmap alignment: effort share per theme, unaligned work, loud but off-strategy items."""
    from sync.rank import alignment

    with ctx.engine(lock=False) as engine:
        report = alignment(engine.store, engine.config)
    if as_json or ctx.json:
        views.print_json(console, report.as_dict())
        return
    for line in report.lines():
        console.print(line, markup=False, highlight=False)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the site into (default: [report] dir).",
)
@pass_context
def report(ctx: Context, out: Path | None) -> None:
    """Write the HTML report (ranking, one page per item, changes, roadmap) from the store."""
    from sync.presentation.report.site import write_site

    config = ctx.config()
    target = out or (Path(config.report.dir) if config.report.dir else None)
    if target is None:
        raise UsageError("no directory: pass --out DIR or set [report] dir in the config")
    with ctx.engine(lock=False) as engine:
        written = write_site(engine.store, target)
    console.print(
        f"wrote {written.pages} page(s) ({written.items} item pages) to {written.path}", markup=False
    )


@main.command()
@click.option("--items", type=int, default=40, show_default=True, help="Items per tracker.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the generated data.")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(path_type=Path),
    default=Path(".rankbridge/demo"),
    show_default=True,
    help="Folder for the demo's config and store (a folder the demo did not create is never emptied).",
)
def demo(items: int, seed: int, workdir: Path) -> None:
    """Start the sandbox, run a full sync against it and show the result."""
    from sync.presentation.demo import run_demo

    try:
        code = run_demo(console, items, seed, workdir)
    except OSError as exc:
        raise UsageError(str(exc)) from None
    raise SystemExit(code)


main.add_command(sandbox)
main.add_command(undo)
main.add_command(resume)


if __name__ == "__main__":
    main()
