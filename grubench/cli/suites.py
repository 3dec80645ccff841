"""The ``suites`` commands: list the suites shipped inside the package, or print one (finding
them is library work, ``grubench.run.suites``)."""

from __future__ import annotations

import typer

from grubench.cli.app import app, json_out
from grubench.errors import UserError
from grubench.run.suites import packaged, summary

suites_app = typer.Typer(
    help="Suites shipped with grubench: list them, or print one to copy and edit.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(suites_app, name="suites")


@suites_app.callback()
def list_suites(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of lines"),
) -> None:
    """List the packaged suites (run one with: grubench run NAME)."""
    if ctx.invoked_subcommand is not None:
        return
    rows = [
        {"name": name, "summary": summary(f.read_text()), "path": str(f)}
        for name, f in packaged().items()
    ]
    if as_json:
        json_out(rows)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['summary']}")


@suites_app.command("show")
def show(name: str = typer.Argument(..., help="a packaged suite's name, e.g. smoke")) -> None:
    """Print a packaged suite's TOML (redirect it to a file to make your own)."""
    known = packaged()
    if name not in known:
        raise UserError(f"no packaged suite '{name}' (packaged: {', '.join(known)})")
    print(known[name].read_text(), end="")
