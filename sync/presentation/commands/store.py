"""The store itself: ``rankbridge store copy --to URL`` (move an SQLite store into PostgreSQL, or any
backend into any)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from sync.presentation.commands.common import pass_context, wait_option

if TYPE_CHECKING:
    from sync.presentation.context import Context


@click.group()
def store() -> None:
    """The store itself (the SQLite file or PostgreSQL database of [store])."""


@store.command("copy")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The store to copy into: a postgresql:// URL or an SQLite file path; ${VAR} is read from the "
    "environment (keep the password out of the command line).",
)
@click.option("--replace", is_flag=True, help="Empty a target that already holds rows (refused otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Print the rows copied per table as JSON.")
@wait_option
@pass_context
def copy(ctx: Context, target: str, replace: bool, as_json: bool) -> None:
    """Copy the configured store, whole and consistent, into another one (a new PostgreSQL database for
    several daemons, or back to a file); prints the rows copied per table."""
    from sync.config import expand_environment
    from sync.presentation import views
    from sync.store import Store
    from sync.store.copy import copy_store

    config = ctx.config()
    location = expand_environment(target, "--to")
    with ctx.store_lock(config):  # no writer while the source is read
        source = Store(config.store.location)
        try:
            destination = Store(location)
            try:
                report = copy_store(source, destination, replace=replace)
            finally:
                destination.close()
        finally:
            source.close()
    data = {
        "from": report.source,
        "to": report.target,
        "rows": report.rows,
        "total": report.total,
        "replaced": report.replaced,
    }
    if as_json or ctx.json:
        views.print_json(ctx.out, data)
        return
    for table, count in report.rows.items():
        ctx.out.print(f"  {table:<20} {count:>9}", markup=False, highlight=False)
    summary = f"copied {report.total} row(s) in {len(report.rows)} table(s)"
    ctx.out.print(f"{summary} from {report.source} to {report.target}", markup=False, highlight=False)


COMMANDS = [store]
