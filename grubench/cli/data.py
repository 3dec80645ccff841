"""``grubench data``: fetch the data sets a task reads from the cache (never at run time)."""

from __future__ import annotations

from pathlib import Path

import typer

from grubench.cli.app import app, console
from grubench.errors import UserError

data_app = typer.Typer(help="Data sets fetched on request into the cache, checked by SHA-256.")
app.add_typer(data_app, name="data")


@data_app.command("fetch")
def fetch(
    name: str = typer.Argument(..., help="the data set: jsb"),
    source: str = typer.Option(
        None, "--from", help="a local copy (file or URL) instead of the public source"
    ),
) -> None:
    """Download a data set from its public source (or import --from FILE) into the cache,
    refusing a file whose SHA-256 is not the pinned one."""
    from grubench.tasks.jsb import fetch as fetch_jsb

    fetchers = {"jsb": fetch_jsb}
    if name not in fetchers:
        raise UserError(f"unknown data set '{name}' (known: {', '.join(fetchers)})")
    if source is not None and "://" not in source and not Path(source).expanduser().exists():
        raise UserError(f"--from '{source}' does not exist")
    path = fetchers[name](source)
    console.print(f"{name}: checked and stored in {path}", highlight=False)
