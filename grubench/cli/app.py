"""The Typer app and what every command shares: one-line errors, the consoles, option checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from grubench.errors import UserError

# Piped output (logs, CI) gets wide tables rather than Rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class OneLineErrors(TyperGroup):
    """Every user mistake is one line on stderr and exit code 2, never a traceback."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: ANN001
        from typer import _click
        from typer.exceptions import Abort

        standalone = extra.pop("standalone_mode", True)
        try:
            rv = super().main(args, prog_name, standalone_mode=False, **extra)
        except (_click.exceptions.UsageError, UserError) as e:
            if not standalone:
                raise
            msg = e.format_message() if hasattr(e, "format_message") else str(e)
            err.print(f"error: {msg}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        except Abort:
            sys.exit(130)
        if standalone:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Matched GRU vs LSTM benchmarks: measurements instead of opinions.",
)


def _positive(name: str, value: int | float | None) -> None:
    if value is not None and value <= 0:
        raise UserError(f"{name} must be positive, got {value}")


def _suite_source(suite: str | None, tasks: list[str] | None) -> dict[str, Any]:
    if suite is None:
        if not tasks:
            suite = "tasks/default.toml"
        else:
            return {"name": "cli", "task": [{"name": t} for t in tasks]}
    path = Path(suite)
    if not path.exists() and not suite.endswith(".toml") and Path(f"tasks/{suite}.toml").exists():
        path = Path(f"tasks/{suite}.toml")
    from grubench.config import read_suite_file, suite_from_dict

    raw = read_suite_file(path)
    suite_from_dict(raw, where=str(path))  # the file on its own must be valid, errors name it
    if tasks:
        by_name = {t.get("name"): t for t in raw.get("task", []) if isinstance(t, dict)}
        raw["task"] = [by_name.get(t, {"name": t}) for t in tasks]
    return raw


def _progress_events(bar, overall) -> Any:  # noqa: ANN001
    """An event sink that shows each running trial's epochs (and, on Ray, its node), advances
    ``overall`` and, on Ray, prints which node ran each finished trial."""
    current: dict[str, Any] = {}
    nodes: dict[str, str] = {}

    def on_event(ev: dict[str, Any]) -> None:
        t = ev["trial"]
        label = f"  {t.task} {t.arch} seed {t.seed}"
        if t.id in nodes:
            label += f" on {nodes[t.id]}"
        if ev["event"] == "start":
            current[t.id] = bar.add_task(label, total=t.budget.epochs)
        elif ev["event"] == "node":
            nodes[t.id] = ev["node"]
            bar.update(current[t.id], description=f"{label} on {ev['node']}")
        elif ev["event"] == "epoch":
            bar.update(
                current[t.id],
                completed=ev["epoch"],
                description=f"{label} val {ev['val_metric']:.4g}",
            )
        elif ev["event"] == "finish":
            bar.remove_task(current.pop(t.id))
            bar.advance(overall)
            if t.id in nodes:
                bar.console.print(f"{label.strip()}: ended", markup=False, highlight=False)
                del nodes[t.id]

    return on_event
