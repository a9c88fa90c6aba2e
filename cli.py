"""rankbridge command line: the command group, its global options, and the commands' registration. The
commands live in ``sync/presentation/commands/``; each imports what it needs when it runs, so that
``rankbridge --version`` and ``--help`` start fast.

Exit codes: 0 ok, 1 a tracker or op failed, 2 bad config or usage (or a file or folder that cannot be used),
3 a stale plan, 4 the store is in use by another process (daemon). Errors map to them in one place:
:class:`Rankbridge` (``sync.errors``)."""

from __future__ import annotations

from typing import Any

import click

from sync.presentation.commands import admin, pipeline, reading, store
from sync.presentation.sandbox_command import sandbox
from sync.presentation.undo_command import resume, undo

__version__ = "0.1.0"  # the package's version (pyproject.toml reads it from here)
LONG = ("sync", "pull", "push", "undo")  # commands that draw progress bars on a terminal


class Rankbridge(click.Group):
    """The command group. A :class:`RankbridgeError` from any command ends here: one line on stderr (escaped:
    messages name sections as [connections.jira], which rich would read as markup) and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from sync.errors import RankbridgeError

        try:
            return super().invoke(ctx)
        except RankbridgeError as exc:
            from rich.markup import escape

            err = ctx.obj.err if ctx.obj is not None else None
            if err is None:
                from sync.presentation.output import consoles

                err = consoles("text")[1]
            label = f"[red]{escape(exc.label)}[/]" if exc.label else ""
            err.print(label + escape(str(exc)), highlight=False)
            raise SystemExit(exc.exit_code) from None
        except click.UsageError as exc:
            if ctx.obj is None or not ctx.obj.json:
                raise
            # --log-format json: a usage error of a command is one JSON line too (exit 2, as click's)
            ctx.obj.err.print(f"{exc.ctx.command_path if exc.ctx else 'rankbridge'}: {exc.format_message()}")
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
@click.version_option(__version__, prog_name="rankbridge")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int, log_format: str) -> None:
    """Sync one evidence-based ranking across Jira, GitHub, Linear and Zendesk."""
    from sync.presentation.context import Context
    from sync.presentation.logs import setup_logging
    from sync.presentation.output import consoles
    from sync.presentation.progress import ProgressHandler

    out, err = consoles(log_format)
    bars = log_format == "text" and not verbose and err.is_terminal and ctx.invoked_subcommand in LONG
    progress = ProgressHandler(err) if bars else None
    setup_logging(verbose, log_format, progress)
    if progress is not None:
        ctx.call_on_close(progress.close)
    ctx.obj = Context(config, out, err, json=log_format == "json")


for _command in (
    *admin.COMMANDS,
    *pipeline.COMMANDS,
    *reading.COMMANDS,
    *store.COMMANDS,
    sandbox,
    undo,
    resume,
):
    main.add_command(_command)


if __name__ == "__main__":
    main()
