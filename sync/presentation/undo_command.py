"""``rankbridge undo RUN`` and ``rankbridge resume``: the inverse of one push, and the pause it leaves."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from sync.presentation.commands.common import ALL, pass_context, wait_option

if TYPE_CHECKING:
    from sync.presentation.context import Context


@click.command()
@click.argument("run", type=int)
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Only show the inverse plan.")
@click.option("--follow-up", metavar="TEXT", help="Add TEXT as a note after each note the push posted.")
@wait_option
@pass_context
def undo(ctx: Context, run: int, yes: bool, dry_run: bool, follow_up: str | None) -> None:
    """Put back every value push RUN wrote (keeping and listing what people changed since), then pause
    pushes to those connections until `rankbridge resume` or a rules change."""
    from sync.presentation import views

    out = ctx.out
    with ctx.engine(contacts=() if dry_run else ALL) as engine:
        planned, _ = engine.undo(run, follow_up)
        out.print(views.plan_table(planned, engine.store))
        for note in planned.notes():
            out.print(f"  {note}", markup=False)
        if dry_run:
            return
        if planned.ops and not yes and sys.stdin.isatty():
            click.confirm(f"apply {len(planned.ops)} op(s)?", abort=True)
        report = engine.push() if planned.ops else None
        if report is not None:
            out.print(views.push_table(report))
        paused = engine.pause_after_undo(run)
        if paused:
            out.print(f"pushes to {', '.join(paused)} paused: run `rankbridge resume` to sync them again")
    raise SystemExit(1 if report is not None and report.errors else 0)


@click.command()
@click.argument("connections", nargs=-1)
@wait_option
@pass_context
def resume(ctx: Context, connections: tuple[str, ...]) -> None:
    """Let pushes reach the connections an undo paused (all of them, or the ones named)."""
    with ctx.engine(contacts=()) as engine:
        lifted = engine.store.resume(list(connections) or None)
    ctx.out.print(f"resumed {', '.join(lifted)}" if lifted else "nothing was paused")
