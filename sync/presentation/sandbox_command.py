"""``rankbridge sandbox serve``: the emulators on free ports and a config pointing at them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click


def _zone_name(value: str) -> str:
    """An IANA time zone name, or a usage error naming it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {value!r} (an IANA name such as Asia/Kolkata)") from None
    return value


@click.group()
def sandbox() -> None:
    """Local emulators of Jira, GitHub, Linear and Zendesk."""


@sandbox.command("serve")
@click.option("--items", type=int, default=50, show_default=True, help="Items per tracker.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data.")
@click.option(
    "--config-out",
    type=click.Path(path_type=Path),
    default=Path("rankbridge.toml"),
    show_default=True,
    help="Where to write the config pointing at the emulators.",
)
@click.option(
    "--store",
    "store_path",
    default=".rankbridge/sandbox.db",
    show_default=True,
    help="Store path written into the config (relative to the config file's folder).",
)
@click.option("--service", "services", multiple=True, help="Only these services (repeatable).")
@click.option("--force", is_flag=True, help="Overwrite the config file if it exists.")
@click.option(
    "--jira-timezone",
    default="America/Los_Angeles",
    show_default=True,
    callback=lambda _ctx, _param, value: _zone_name(value),
    help="IANA time zone of the emulated Jira API user (JQL dates and timestamps use it).",
)
def sandbox_serve(
    items: int,
    seed: int,
    config_out: Path,
    store_path: str,
    services: tuple[str, ...],
    jira_timezone: str,
    force: bool,
) -> None:
    """Start the emulators on free ports and write a config pointing at them; runs until interrupted."""
    from sandbox.launcher import TOKEN_ENV, Sandbox
    from sync.errors import UsageError

    if config_out.exists() and not force:
        raise UsageError(
            f"refusing: {config_out.absolute()} exists (the sandbox would write its config there); "
            "pass --force to overwrite it, or --config-out PATH to write elsewhere"
        )
    console = click.get_current_context().obj.out
    given = os.environ.get(TOKEN_ENV)
    settings = {"jira": {"timezone": jira_timezone}}
    box = Sandbox.start(list(services) or None, items=items, seed=seed, token=given, settings=settings)
    box.write_config(config_out, store_path)
    for name in box.served:
        console.print(f"{name}: {box.url(name)}")
    console.print(f"wrote {config_out}")
    if not given:
        # A throwaway credential of the local emulators, shown once so another shell can use them.
        console.print(f"in another shell run:\n  export {TOKEN_ENV}={box.token}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        box.stop()
