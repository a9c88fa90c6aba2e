"""What every command module shares: the context decorator, ``--wait`` and ``ALL``."""

from __future__ import annotations

import click

ALL = None  # ``contacts=ALL``: the command talks to every configured connection

# The object ``cli.main`` makes for every invocation (sync/presentation/context.py, Context).
pass_context = click.pass_obj


def _set_wait(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if ctx.obj is not None:
        ctx.obj.wait = value
    return value


wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0.0,
    expose_value=False,
    callback=_set_wait,
    help="If the daemon (or another command) holds the store, wait up to SECONDS for it (default: fail).",
)
