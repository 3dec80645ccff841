"""The suites shipped inside the package, and the ``suites`` commands that list and print them.

The files live once, in the repository's top-level ``tasks/``; ``grubench/tasks/suites`` is a
symlink to it, so a checkout and an installed wheel (which holds real copies) read the same
bytes. ``grubench run NAME`` finds them from any working directory.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import typer

from grubench.cli.app import app, json_out
from grubench.errors import UserError


def packaged() -> dict[str, Traversable]:
    """Suite name -> its file inside the installed package, sorted by name."""
    folder = files("grubench").joinpath("tasks", "suites")
    found = [f for f in folder.iterdir() if f.name.endswith(".toml")]
    return {f.name.removesuffix(".toml"): f for f in sorted(found, key=lambda f: f.name)}


def find_suite(suite: str) -> Path:
    """A suite argument as a file: an existing path; else a name in ``./tasks`` (a checkout's
    suites, the user's own copies among them); else a packaged suite's name."""
    path = Path(suite)
    if path.exists() or suite.endswith(".toml") or "/" in suite:
        return path  # read_suite_file names what is wrong with it
    local = Path("tasks") / f"{suite}.toml"
    if local.is_file():
        return local
    known = packaged()
    if suite not in known:
        raise UserError(
            f"no suite file '{suite}' and no packaged suite of that name "
            f"(packaged: {', '.join(known)}; see grubench suites)"
        )
    return Path(str(known[suite]))


def suite_source(suite: str | None, tasks: list[str] | None) -> dict[str, Any]:
    """The raw suite to run: a file, a packaged suite's name, or ``--task`` names alone."""
    from grubench.config import adhoc_source, read_suite_file, suite_from_dict

    if suite is None and tasks:
        return adhoc_source(tasks)
    path = find_suite(suite or "default")
    raw = read_suite_file(path)
    suite_from_dict(raw, where=str(path))  # the file on its own must be valid, errors name it
    if tasks:
        by_name = {t.get("name"): t for t in raw.get("task", []) if isinstance(t, dict)}
        raw["task"] = [by_name.get(t, {"name": t}) for t in tasks]
    return raw


def summary(text: str) -> str:
    """The first sentence of a suite's opening comment: what it is for."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    first = re.split(r"\.\s+(?=[A-Z])", " ".join(lines))[0].removesuffix(".")
    return first if len(first) <= 100 else first[:99] + "…"


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
