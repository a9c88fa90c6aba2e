"""Setting up and running: init, doctor, rules check, import, daemon, hash-password, demo.

A command module imports only click when it loads; a command imports what it needs when it runs, so
that `rankbridge --version` and `--help` start fast."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sync.presentation.commands.common import pass_context, wait_option

if TYPE_CHECKING:
    from sync.presentation.context import Context


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_context
def init(ctx: Context, force: bool) -> None:
    """Write a commented starter config file."""
    from sync.presentation.starter import STARTER_CONFIG

    if ctx.path.exists() and not force:
        raise ctx.fail(f"refusing: {ctx.path.absolute()} exists; pass --force to overwrite it", 2)
    ctx.path.write_text(STARTER_CONFIG)
    ctx.out.print(f"wrote {ctx.path}: fill in the connections, then run `rankbridge doctor`")


@click.command()
@pass_context
def doctor(ctx: Context) -> None:
    """Check each connection's credentials, permissions and rate-limit budget."""
    from rich.markup import escape

    failed = False
    with ctx.engine(lock=False) as engine:
        for name, connector in engine.connectors.items():
            missing = engine.config.unresolved(name)
            if missing:
                failed = True
                ctx.out.print(f"[red]failed[/] {name}: {escape(missing[0])}", highlight=False)
                continue
            try:
                ctx.out.print(f"[green]ok[/] {name}: {json.dumps(connector.check(), default=str)}")
            except Exception as exc:
                failed = True
                ctx.out.print(f"[red]failed[/] {name}: {type(exc).__name__}: {exc}", highlight=False)
    raise SystemExit(1 if failed else 0)


@click.group()
def rules() -> None:
    """Work with the rules in the config file."""


@rules.command("check")
@pass_context
def rules_check(ctx: Context) -> None:
    """Validate every rule, run it on sample items and check what each tracker can take.

    Exit 1 when a rule fails on every sample, 2 when a rule is invalid or its writes reach a tracker that
    cannot take them; a rule failing on some samples only is a warning."""
    from rich.markup import escape

    from rules.status import StatusRules
    from sync.rank import rules_engine
    from sync.rulecheck import check

    config = ctx.config()
    findings = check(config, rules_engine(config), StatusRules(config.status))
    for line in findings.warnings:
        ctx.out.print(f"[yellow]warning[/] {escape(line)}", highlight=False)
    for line in findings.errors:
        ctx.out.print(f"[red]error[/] {escape(line)}", highlight=False)
    refused = any(line.startswith("status rule") for line in findings.errors)
    if findings.errors:
        raise SystemExit(2 if refused else 1)
    warned = f" ({len(findings.warnings)} warning(s))" if findings.warnings else ""
    ctx.out.print(f"rules ok{warned}")


@click.command(name="import")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@wait_option
@pass_context
def import_(ctx: Context, source: str, file: Path) -> None:
    """Normalise a saved API response from FILE into the store, without the network.

    SOURCE is a configured connection name, or a service type (jira, github, linear, zendesk: no connection
    needed). The file's shape (GraphQL root field, collection name) says which stream it belongs to; a file
    of no known shape fails, naming the shapes the service accepts."""
    from sync.config import Config
    from sync.errors import UsageError
    from sync.pull.replay import import_file

    config = ctx.config() if ctx.path.exists() else Config()
    try:
        with ctx.store_lock(config):
            stats = import_file(config, source, file)
    except (ValueError, KeyError) as exc:
        raise UsageError(f"import failed: {exc}") from None
    read = ", ".join(f"{count} {stream}" for stream, count in stats.read.items())
    kept = (("team", stats.teams), ("cycle", stats.cycles))
    calendar = "".join(f", {n} {kind}(s)" for kind, n in kept if n)
    ctx.out.print(
        f"imported {stats.items} item(s), {stats.customers} customer(s), {stats.links} link(s){calendar}"
        f" from {file} (read {read}; {stats.quarantined} quarantined)"
    )


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle over every connection and exit (1 if one failed).")
@click.option(
    "--reload",
    "reload_",
    is_flag=True,
    help="Run nothing here: ask the running daemon(s) of this store to re-read the config file (as SIGHUP).",
)
@wait_option
@pass_context
def daemon(ctx: Context, once: bool, reload_: bool) -> None:
    """Sync on a schedule: each connection pulled on its own interval, rank/plan/push after changes;
    /healthz and /metrics on [daemon] host:port; stops cleanly on SIGTERM or Ctrl-C, re-reads the config
    file on SIGHUP or `daemon --reload`."""
    from sync.daemon.lease import open_leases
    from sync.daemon.process import daemon_logging, exit_now
    from sync.daemon.scheduler import Daemon
    from sync.presentation.daemon_reload import ask_for_reload, reloaded, usable_config
    from sync.presentation.report.site import publisher

    if reload_:
        ctx.out.print(ask_for_reload(ctx.config()), markup=False, highlight=False)
        return
    config = usable_config(ctx)
    daemon_logging()
    # An SQLite store: this daemon holds the store's lock, and with it every lease. A PostgreSQL store:
    # several daemons share it, each holding its leases (and the writer lock shared) on a session of its own.
    shared = config.store.url is not None
    with nullcontext() if shared else ctx.store_lock(config):
        while True:
            runner = Daemon(config, publish=publisher(config), leases=open_leases(config, ctx.wait))
            if once:
                raise SystemExit(runner.run_once())
            finished = runner.run_forever(
                announce=lambda line: ctx.out.print(line, markup=False, highlight=False)
            )
            if not finished:
                exit_now(1)  # the kernel releases the store's lock, the server the leases' session
            if not runner.reload.is_set():
                break
            config = reloaded(ctx, config)
    raise SystemExit(0)


@click.command("hash-password")
def hash_password_() -> None:
    """Hash a password for [daemon] basic_password_hash (asked twice, never echoed or stored in clear)."""
    from sync.daemon.web import hash_password

    password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    click.echo(hash_password(password))


@click.command()
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
@pass_context
def demo(ctx: Context, items: int, seed: int, workdir: Path) -> None:
    """Start the sandbox, run a full sync against it and show the result."""
    from sync.errors import UsageError
    from sync.presentation.demo import run_demo

    try:
        code = run_demo(ctx.out, items, seed, workdir)
    except OSError as exc:
        raise UsageError(str(exc)) from None
    raise SystemExit(code)


COMMANDS = [init, doctor, rules, import_, daemon, hash_password_, demo]
